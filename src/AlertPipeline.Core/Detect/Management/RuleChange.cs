namespace AlertPipeline.Core.Detect.Management;

/// <summary>What an operator did to a rule.</summary>
public enum RuleChangeAction
{
    /// <summary>A new rule was stored.</summary>
    Create,

    /// <summary>A rule's YAML or mode was replaced.</summary>
    Replace,

    /// <summary>A rule was deleted.</summary>
    Delete,

    /// <summary>A rule was switched on.</summary>
    Enable,

    /// <summary>A rule was switched off.</summary>
    Disable,
}

/// <summary>Text form of <see cref="RuleChangeAction"/> as stored and shown (<c>create</c>, <c>replace</c>, …).</summary>
public static class RuleChangeActions
{
    /// <summary>The stored spelling of <paramref name="action"/>.</summary>
    public static string ToText(this RuleChangeAction action) => action switch
    {
        RuleChangeAction.Create => "create",
        RuleChangeAction.Replace => "replace",
        RuleChangeAction.Delete => "delete",
        RuleChangeAction.Enable => "enable",
        _ => "disable",
    };

    /// <summary>Parses the stored spelling.</summary>
    public static bool TryParse(string? text, out RuleChangeAction action)
    {
        foreach (var candidate in Enum.GetValues<RuleChangeAction>())
        {
            if (string.Equals(candidate.ToText(), text, StringComparison.Ordinal))
            {
                action = candidate;
                return true;
            }
        }

        action = default;
        return false;
    }
}

/// <summary>The part of a rule an operator changes: its YAML, whether it runs, and whether its matches act.</summary>
public sealed record RuleState(string Yaml, bool Enabled, RuleMode Mode)
{
    /// <summary>The state of a stored rule.</summary>
    public static RuleState Of(RuleRecord rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new RuleState(rule.Yaml, rule.Enabled, rule.Mode);
    }
}

/// <summary>One entry of a rule's history: who did what when, and the rule before and after.</summary>
/// <param name="Pack">The rule's pack.</param>
/// <param name="Id">The rule's id.</param>
/// <param name="At">When the change was stored.</param>
/// <param name="Who">Who made it, as the caller was identified (a label for the record, never used to authorize).</param>
/// <param name="Action">What was done.</param>
/// <param name="Before">The rule before; null for a create.</param>
/// <param name="After">The rule after; null for a delete.</param>
public sealed record RuleChange(
    string Pack,
    string Id,
    DateTimeOffset At,
    string Who,
    RuleChangeAction Action,
    RuleState? Before,
    RuleState? After);
