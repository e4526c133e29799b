using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect;

/// <summary>The log source a rule applies to, as written in the rule.</summary>
public sealed record LogSource(string? Category, string? Product, string? Service);

/// <summary>
/// A detection rule ready to evaluate: its metadata plus a matcher compiled once.
/// Produced by <see cref="Sigma.SigmaRuleCompiler"/>.
/// </summary>
public sealed class CompiledRule
{
    /// <summary>Creates a compiled rule; <paramref name="matcher"/> includes the log-source condition.</summary>
    public CompiledRule(string id, string title, AlertLevel level, EventMatcher matcher)
    {
        Id = id;
        Title = title;
        Level = level;
        Matcher = matcher;
    }

    /// <summary>The rule id (Sigma <c>id</c>, a UUID).</summary>
    public string Id { get; }

    /// <summary>The rule title.</summary>
    public string Title { get; }

    /// <summary>The rule level.</summary>
    public AlertLevel Level { get; }

    /// <summary>The compiled predicate, log source included.</summary>
    public EventMatcher Matcher { get; }

    /// <summary>Sigma <c>name</c>: how correlation rules may refer to this rule besides its id.</summary>
    public string? Name { get; init; }

    /// <summary>The correlation section, for a Sigma correlation rule; null for a rule over single events.</summary>
    public Correlation.CorrelationDefinition? Correlation { get; init; }

    /// <summary>Sigma <c>status</c>.</summary>
    public string? Status { get; init; }

    /// <summary>Sigma <c>description</c>.</summary>
    public string? Description { get; init; }

    /// <summary>Sigma <c>tags</c>, e.g. <c>attack.t1496</c>.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Sigma <c>references</c> (URLs).</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>Sigma <c>falsepositives</c>.</summary>
    public IReadOnlyList<string> FalsePositives { get; init; } = [];

    /// <summary>Sigma <c>logsource</c>.</summary>
    public LogSource LogSource { get; init; } = new(null, null, null);

    /// <summary>The log-source predicate alone (null when the log source adds none); rules sharing a log source share its verdict.</summary>
    public EventMatcher? LogSourceMatcher { get; init; }

    /// <summary>The detection alone, without the log-source predicate; null when only <see cref="Matcher"/> is known.</summary>
    public EventMatcher? DetectionMatcher { get; init; }

    /// <summary>Every field the detection reads; an alert copies these as evidence.</summary>
    public IReadOnlyList<EcsField> Fields { get; init; } = [];

    /// <summary>True if event <paramref name="index"/> matches the rule.</summary>
    public bool Matches(EventBatch batch, int index) => Matcher.Matches(batch, index);
}

/// <summary>One document of a Sigma rule collection: its text and line in the file, and how it checked.</summary>
public sealed record SigmaDocument(int Line, string Yaml, Sigma.SigmaCheckResult Result)
{
    /// <summary>The compiled rule when the document is ok.</summary>
    public CompiledRule? Rule => Result.Rule;

    /// <summary>Why the document is unsupported or wrong; null when ok.</summary>
    public RuleCompileException? Error => Result.Problem;
}

/// <summary>
/// The matcher of a correlation rule: it never matches a single event, because a correlation is judged on the
/// matches of the rules it names (see <see cref="Correlation.CorrelationEngine"/>).
/// </summary>
internal sealed class CorrelationOnlyMatcher : EventMatcher
{
    public static CorrelationOnlyMatcher Instance { get; } = new();

    public override bool Matches(EventBatch batch, int index) => false;
}
