using AlertPipeline.Core.Detect.Sigma;
using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Detect;

/// <summary>A compiled, enabled rule and how it was stored.</summary>
public sealed record ActiveRule(string Pack, CompiledRule Rule, RuleMode Mode);

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
    private readonly ActiveRule[] _rules;

    private RuleSet(ActiveRule[] rules, IReadOnlyList<RuleLoadError> errors)
    {
        _rules = rules;
        Errors = errors;
    }

    /// <summary>A set with no rules.</summary>
    public static RuleSet Empty { get; } = new([], []);

    /// <summary>The enabled rules that compiled.</summary>
    public IReadOnlyList<ActiveRule> Rules => _rules;

    /// <summary>Rules that were skipped because they did not compile.</summary>
    public IReadOnlyList<RuleLoadError> Errors { get; }

    /// <summary>Compiles the enabled <paramref name="records"/>; a record that fails is reported in <see cref="Errors"/> and skipped.</summary>
    public static RuleSet Compile(IEnumerable<RuleRecord> records)
    {
        var rules = new List<ActiveRule>();
        var errors = new List<RuleLoadError>();
        foreach (var record in records)
        {
            if (!record.Enabled)
            {
                continue;
            }

            try
            {
                var compiled = SigmaRuleCompiler.Compile(record.Yaml);
                if (!string.Equals(compiled.Id, record.Id, StringComparison.Ordinal))
                {
                    // Alerts carry the Sigma id while operators disable rows by key; a mismatch would make one unreachable by the other.
                    errors.Add(new RuleLoadError(record.Pack, record.Id, 1, 1, $"the stored key '{record.Id}' differs from the rule's id '{compiled.Id}'"));
                    continue;
                }

                rules.Add(new ActiveRule(record.Pack, compiled, record.Mode));
            }
            catch (RuleCompileException ex)
            {
                errors.Add(new RuleLoadError(record.Pack, ex.RuleId ?? record.Id, ex.Line, ex.Column, ex.Problem));
            }
        }

        return new RuleSet([.. rules], errors);
    }

    /// <summary>Builds a set from already compiled rules (tests, benchmarks).</summary>
    public static RuleSet From(IEnumerable<ActiveRule> rules) => new([.. rules], []);

    /// <summary>Appends every (rule, event) match in <paramref name="batch"/> to <paramref name="detections"/>.</summary>
    public void Evaluate(EventBatch batch, List<Detection> detections)
    {
        var rules = _rules;
        for (var e = 0; e < batch.Count; e++)
        {
            for (var r = 0; r < rules.Length; r++)
            {
                if (rules[r].Rule.Matches(batch, e))
                {
                    detections.Add(new Detection(r, e));
                }
            }
        }
    }
}
