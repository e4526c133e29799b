using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>
/// A correlation rule linked to the rules it reads: for each input, where its matches come from and which fields
/// give the group and the counted value. Built by <see cref="CorrelationLinker"/> with the rule set.
/// </summary>
public sealed class CompiledCorrelation
{
    internal CompiledCorrelation(ActiveRule rule, CorrelationInput[] inputs, ulong fingerprint)
    {
        Rule = rule;
        Inputs = inputs;
        Fingerprint = fingerprint;
    }

    /// <summary>The stored rule (metadata for alerts, pack and mode).</summary>
    public ActiveRule Rule { get; }

    /// <summary>The correlation section.</summary>
    public CorrelationDefinition Definition => Rule.Rule.Correlation!;

    /// <summary>The rule id, which keys the correlation's state.</summary>
    public string Id => Rule.Rule.Id;

    /// <summary>The group-by names as written (aliases included); a firing carries one value per name.</summary>
    public IReadOnlyList<string> GroupNames => Definition.GroupBy;

    /// <summary>
    /// A hash of everything that gives stored state its meaning (type, inputs, groups, fields, timespan). State
    /// written under another fingerprint was kept for an earlier version of the rule and is discarded.
    /// </summary>
    public ulong Fingerprint { get; }

    /// <summary>False when a correlation that refers to this one asks only for its own alerts (Sigma <c>generate</c>).</summary>
    public bool Generates { get; internal set; } = true;

    /// <summary>True when the condition is judged as events arrive (lower bound only); else on closed windows.</summary>
    public bool IsMonotonic => Definition.Condition.IsMonotonic;

    internal CorrelationInput[] Inputs { get; }
}

/// <summary>One rule a correlation reads: an event rule (by index in the rule set) or another correlation.</summary>
internal sealed class CorrelationInput
{
    public required string RuleId { get; init; }

    /// <summary>Index into <see cref="RuleSet.Rules"/>, or -1.</summary>
    public int EventRuleIndex { get; init; } = -1;

    /// <summary>Index into <see cref="RuleSet.Correlations"/>, or -1.</summary>
    public int CorrelationIndex { get; init; } = -1;

    /// <summary>For an event rule: the field of each group name.</summary>
    public EcsField[] GroupFields { get; init; } = [];

    /// <summary>For an event rule and value_count: the fields whose values are counted.</summary>
    public EcsField[] ValueFields { get; init; } = [];

    /// <summary>For a correlation: the position of each group name among the inner correlation's group values.</summary>
    public int[] InnerGroupPositions { get; init; } = [];

    /// <summary>For a correlation and value_count: positions of the counted values among the inner group values.</summary>
    public int[] InnerValuePositions { get; init; } = [];
}
