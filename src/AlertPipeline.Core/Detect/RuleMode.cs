namespace AlertPipeline.Core.Detect;

/// <summary>Whether a rule's matches act (<see cref="Enforce"/>) or only record what they would have done.</summary>
public enum RuleMode
{
    Enforce,
    DryRun,
}

/// <summary>Text form of <see cref="RuleMode"/> as stored in the <c>rules</c> table (<c>enforce</c>, <c>dry-run</c>).</summary>
public static class RuleModes
{
    /// <summary>Parses <c>enforce</c> or <c>dry-run</c> (case-insensitive).</summary>
    public static bool TryParse(string? text, out RuleMode mode)
    {
        switch (text?.Trim().ToLowerInvariant())
        {
            case "enforce": mode = RuleMode.Enforce; return true;
            case "dry-run" or "dryrun": mode = RuleMode.DryRun; return true;
            default: mode = default; return false;
        }
    }

    /// <summary>The stored spelling of <paramref name="mode"/>.</summary>
    public static string ToText(this RuleMode mode) => mode == RuleMode.DryRun ? "dry-run" : "enforce";
}
