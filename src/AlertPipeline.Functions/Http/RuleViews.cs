using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Detect.Management;

namespace AlertPipeline.Functions.Http;

/// <summary>A rule as the API shows it; <see cref="Yaml"/> only when one rule is asked for.</summary>
public sealed record RuleView(
    string Pack, string Id, string Title, string Level, bool Enabled, string Mode, DateTimeOffset UpdatedAt, string? ETag, string? Yaml)
{
    /// <summary><c>ok</c>, <c>disabled</c> or <c>error</c> as the pipeline would load the store now; null where not computed.</summary>
    public string? Status { get; init; }

    /// <summary>Why the rule does not load (<c>line L column C: problem</c>), when <see cref="Status"/> is <c>error</c>.</summary>
    public string? Problem { get; init; }

    /// <summary>The view of <paramref name="rule"/>, with or without its YAML, and its health when known.</summary>
    public static RuleView Of(RuleRecord rule, bool withYaml, RuleHealth? health = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return new(rule.Pack, rule.Id, rule.Title, rule.Level, rule.Enabled, rule.Mode.ToText(), rule.UpdatedAt, rule.ETag, withYaml ? rule.Yaml : null)
        {
            Status = health?.Status,
            Problem = health?.Problem is { } p ? $"line {p.Line} column {p.Column}: {p.Problem}" : null,
        };
    }
}

/// <summary>The list of rules.</summary>
public sealed record RuleListView(IReadOnlyList<RuleView> Rules);

/// <summary>One side of a history entry.</summary>
public sealed record RuleStateView(string Yaml, bool Enabled, string Mode)
{
    /// <summary>The view of <paramref name="state"/>, or null.</summary>
    public static RuleStateView? Of(RuleState? state) => state is null ? null : new(state.Yaml, state.Enabled, state.Mode.ToText());
}

/// <summary>One history entry.</summary>
public sealed record RuleChangeView(DateTimeOffset At, string Who, string Action, RuleStateView? Before, RuleStateView? After);

/// <summary>A rule's history, newest first.</summary>
public sealed record RuleHistoryView(string Pack, string Id, IReadOnlyList<RuleChangeView> Changes);

/// <summary>A valid rule, as <c>POST rules/validate</c> answers.</summary>
public sealed record ValidationView(bool Valid, string Id, string Title, string Level);

/// <summary>What <c>POST rules/test</c> answers.</summary>
public sealed record RuleTestView(
    string RuleId, bool Matched, int Events, int MatchCount, IReadOnlyList<RuleTestMatch> Matches, IReadOnlyList<RuleTestReject> Rejected);
