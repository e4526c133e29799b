namespace AlertPipeline.Core.Detect.Correlation;

/// <summary>The correlation types of the Sigma correlation specification that this pipeline evaluates.</summary>
public enum CorrelationType
{
    /// <summary>Number of matching events per group in the timespan.</summary>
    EventCount,

    /// <summary>Number of distinct values of one field per group in the timespan.</summary>
    ValueCount,

    /// <summary>Number of distinct referenced rules that matched per group in the timespan, in any order.</summary>
    Temporal,

    /// <summary>Like <see cref="Temporal"/>, but the rules must match in the order they are listed.</summary>
    TemporalOrdered,
}

/// <summary>
/// A correlation's condition on its count: lower and upper bounds (inclusive) and an excluded value. A condition
/// with only a lower bound is <see cref="IsMonotonic"/>: adding events can only satisfy it, never unsatisfy it, so
/// it is judged on every sliding window as events arrive. Any other condition can only be judged on a closed window.
/// </summary>
public sealed record CorrelationCondition(long? Min, long? Max, long? Excluded)
{
    /// <summary>True when the condition holds for <paramref name="count"/>.</summary>
    public bool IsSatisfiedBy(long count)
        => (Min is not { } min || count >= min) && (Max is not { } max || count <= max) && (Excluded is not { } no || count != no);

    /// <summary>True when only a lower bound is set.</summary>
    public bool IsMonotonic => Max is null && Excluded is null;

    /// <inheritdoc />
    public override string ToString()
    {
        var parts = new List<string>(3);
        if (Min is { } min)
        {
            parts.Add(Max == min ? $"= {min}" : $">= {min}");
        }

        if (Max is { } max && Max != Min)
        {
            parts.Add($"<= {max}");
        }

        if (Excluded is { } no)
        {
            parts.Add($"!= {no}");
        }

        return string.Join(" and ", parts);
    }
}

/// <summary>
/// The <c>correlation</c> section of a Sigma correlation rule, as written: which rules it reads (by id or name),
/// how it groups, over what timespan, and when it fires. Linking the names to compiled rules happens when a
/// rule set is built (<see cref="CorrelationLinker"/>), because the referenced rules are other rows.
/// </summary>
public sealed record CorrelationDefinition(
    CorrelationType Type,
    IReadOnlyList<string> Rules,
    IReadOnlyList<string> GroupBy,
    TimeSpan Timespan,
    CorrelationCondition Condition,
    string? ValueField,
    IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases,
    bool Generate);
