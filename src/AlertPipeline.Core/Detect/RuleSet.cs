using AlertPipeline.Core.Detect.Correlation;
using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect;

/// <summary>A compiled, enabled rule and how it was stored.</summary>
public sealed record ActiveRule(string Pack, CompiledRule Rule, RuleMode Mode)
{
    /// <summary>
    /// False for a rule that only feeds correlation rules (Sigma <c>generate: false</c>, the default): its matches
    /// are counted by the correlations but raise no alert of their own.
    /// </summary>
    public bool Generates { get; init; } = true;
}

/// <summary>A stored rule that did not compile, reported and skipped so ingestion continues.</summary>
public sealed record RuleLoadError(string Pack, string RuleId, int Line, int Column, string Problem)
{
    /// <inheritdoc />
    public override string ToString() => $"{Pack}/{RuleId} line {Line} column {Column}: {Problem}";
}

/// <summary>One rule matching one event of a batch.</summary>
public readonly record struct Detection(int RuleIndex, int EventIndex);

/// <summary>
/// An immutable set of compiled rules. Built once per refresh and shared by every batch, so evaluation
/// never compiles, parses or allocates per event.
/// </summary>
public sealed class RuleSet
{
    private static readonly (int Correlation, int Input)[] NoConsumers = [];

    private readonly ActiveRule[] _rules;
    private readonly CompiledCorrelation[] _correlations;
    private readonly (int Correlation, int Input)[][] _eventRuleConsumers;
    private readonly (int Correlation, int Input)[][] _correlationConsumers;
    private readonly LogSourceBucket[] _buckets;

    private RuleSet(ActiveRule[] rules, CompiledCorrelation[] correlations, IReadOnlyList<RuleLoadError> errors)
    {
        _rules = rules;
        _correlations = correlations;
        Errors = errors;
        _buckets = BucketByLogSource(rules);
        _eventRuleConsumers = new (int, int)[rules.Length][];
        _correlationConsumers = new (int, int)[correlations.Length][];
        var byEventRule = new List<(int, int)>[rules.Length];
        var byCorrelation = new List<(int, int)>[correlations.Length];
        for (var c = 0; c < correlations.Length; c++)
        {
            for (var i = 0; i < correlations[c].Inputs.Length; i++)
            {
                var input = correlations[c].Inputs[i];
                if (input.EventRuleIndex >= 0)
                {
                    (byEventRule[input.EventRuleIndex] ??= []).Add((c, i));
                }
                else
                {
                    (byCorrelation[input.CorrelationIndex] ??= []).Add((c, i));
                }
            }
        }

        for (var r = 0; r < rules.Length; r++)
        {
            _eventRuleConsumers[r] = byEventRule[r]?.ToArray() ?? NoConsumers;
        }

        for (var c = 0; c < correlations.Length; c++)
        {
            _correlationConsumers[c] = byCorrelation[c]?.ToArray() ?? NoConsumers;
        }
    }

    /// <summary>A set with no rules.</summary>
    public static RuleSet Empty { get; } = new([], [], []);

    /// <summary>The enabled rules over single events that compiled.</summary>
    public IReadOnlyList<ActiveRule> Rules => _rules;

    /// <summary>The enabled correlation rules that compiled and linked, inner (chained) correlations first.</summary>
    public IReadOnlyList<CompiledCorrelation> Correlations => _correlations;

    /// <summary>The correlations (and their input positions) that read event rule <paramref name="ruleIndex"/>.</summary>
    internal ReadOnlySpan<(int Correlation, int Input)> ConsumersOfEventRule(int ruleIndex) => _eventRuleConsumers[ruleIndex];

    /// <summary>The correlations (and their input positions) that read correlation <paramref name="correlationIndex"/>.</summary>
    internal ReadOnlySpan<(int Correlation, int Input)> ConsumersOfCorrelation(int correlationIndex) => _correlationConsumers[correlationIndex];

    /// <summary>Rules that were skipped because they did not compile.</summary>
    public IReadOnlyList<RuleLoadError> Errors { get; }

    /// <summary>Compiles the enabled <paramref name="records"/>; a record that fails is reported in <see cref="Errors"/> and skipped.</summary>
    public static RuleSet Compile(IEnumerable<RuleRecord> records, SigmaPlaceholders? placeholders = null)
    {
        var rules = new List<ActiveRule>();
        var errors = new List<RuleLoadError>();
        foreach (var record in records)
        {
            if (!record.Enabled)
            {
                continue;
            }

            var (rule, error) = CompileRecord(record, placeholders);
            if (rule is not null)
            {
                rules.Add(rule);
            }
            else
            {
                errors.Add(error!);
            }
        }

        return Build(rules, errors);
    }

    /// <summary>Compiles one stored row: the active rule, or the reason it cannot run.</summary>
    public static (ActiveRule? Rule, RuleLoadError? Error) CompileRecord(RuleRecord record, SigmaPlaceholders? placeholders = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        try
        {
            var compiled = SigmaRuleCompiler.Compile(record.Yaml, placeholders);
            if (!string.Equals(compiled.Id, record.Id, StringComparison.Ordinal))
            {
                // Alerts carry the Sigma id while operators disable rows by key; a mismatch would make one unreachable by the other.
                return (null, new RuleLoadError(record.Pack, record.Id, 1, 1, $"the stored key '{record.Id}' differs from the rule's id '{compiled.Id}'"));
            }

            return (new ActiveRule(record.Pack, compiled, record.Mode), null);
        }
        catch (RuleCompileException ex)
        {
            return (null, new RuleLoadError(record.Pack, ex.RuleId ?? record.Id, ex.Line, ex.Column, ex.Problem));
        }
    }

    /// <summary>
    /// A set of already compiled rules: correlation rules are linked to the rules they read, and those that do not
    /// link are added to <paramref name="errors"/> and skipped.
    /// </summary>
    public static RuleSet Build(IEnumerable<ActiveRule> rules, IEnumerable<RuleLoadError> errors)
    {
        var all = rules.ToList();
        var allErrors = errors.ToList();
        var (eventRules, linked) = CorrelationLinker.Link(
            all.Where(r => r.Rule.Correlation is null).ToList(), all.Where(r => r.Rule.Correlation is not null).ToList(), allErrors);
        return new RuleSet(eventRules, linked, allErrors);
    }

    /// <summary>Builds a set from already compiled rules (tests, benchmarks); correlation rules are linked as in <see cref="Compile"/>.</summary>
    public static RuleSet From(IEnumerable<ActiveRule> rules)
    {
        var set = Build(rules, []);
        return set.Errors.Count == 0
            ? set
            : throw new ArgumentException("correlation rules do not link: " + string.Join("; ", set.Errors), nameof(rules));
    }

    /// <summary>
    /// Appends every (rule, event) match in <paramref name="batch"/> to <paramref name="detections"/>, in event order
    /// and, per event, in rule order. Rules are grouped by log source: each group's predicate is judged once per
    /// event, and a group whose source does not match the event is skipped whole.
    /// </summary>
    public void Evaluate(EventBatch batch, List<Detection> detections)
    {
        var rules = _rules;
        var buckets = _buckets;
        Span<bool> matched = rules.Length <= 512 ? stackalloc bool[rules.Length] : new bool[rules.Length];
        for (var e = 0; e < batch.Count; e++)
        {
            var any = false;
            foreach (var bucket in buckets)
            {
                if (bucket.Predicate is { } predicate && !predicate.Matches(batch, e))
                {
                    continue;
                }

                foreach (var r in bucket.Rules)
                {
                    var rule = rules[r].Rule;
                    if ((rule.DetectionMatcher ?? rule.Matcher).Matches(batch, e))
                    {
                        matched[r] = true;
                        any = true;
                    }
                }
            }

            if (!any)
            {
                continue;
            }

            for (var r = 0; r < matched.Length; r++)
            {
                if (matched[r])
                {
                    detections.Add(new Detection(r, e));
                    matched[r] = false;
                }
            }
        }
    }

    /// <summary>
    /// Rules of one log source share its predicate; a rule known only by its whole matcher (built by hand) is its own
    /// bucket without a predicate.
    /// </summary>
    private static LogSourceBucket[] BucketByLogSource(ActiveRule[] rules)
    {
        var buckets = new List<(LogSource? Source, EventMatcher? Predicate, List<int> Rules)>();
        for (var r = 0; r < rules.Length; r++)
        {
            var rule = rules[r].Rule;
            if (rule.DetectionMatcher is null)
            {
                buckets.Add((null, null, [r]));
                continue;
            }

            var source = Normalize(rule.LogSource);
            var index = buckets.FindIndex(b => b.Source is not null && b.Source == source);
            if (index < 0)
            {
                buckets.Add((source, rule.LogSourceMatcher, [r]));
            }
            else
            {
                buckets[index].Rules.Add(r);
            }
        }

        return [.. buckets.Select(b => new LogSourceBucket(b.Predicate, [.. b.Rules]))];

        static LogSource Normalize(LogSource source) => new(
            source.Category?.Trim().ToLowerInvariant(), source.Product?.Trim().ToLowerInvariant(), source.Service?.Trim().ToLowerInvariant());
    }

    private sealed record LogSourceBucket(EventMatcher? Predicate, int[] Rules);
}
