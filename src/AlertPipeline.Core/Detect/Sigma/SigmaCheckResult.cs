namespace AlertPipeline.Core.Detect.Sigma;

/// <summary>What <see cref="SigmaRuleCompiler.Check"/> concluded about one rule.</summary>
public enum SigmaRuleStatus
{
    /// <summary>The rule compiled and can run on events we ingest.</summary>
    Ok,

    /// <summary>A valid rule for a log source we do not ingest (e.g. Windows event logs): it can never fire here.</summary>
    Unsupported,

    /// <summary>The rule is invalid, or uses something this compiler does not handle.</summary>
    Error,
}

/// <summary>The outcome of checking one Sigma rule: a status, the compiled rule when ok, else the located reason.</summary>
/// <param name="Status">Ok, unsupported or error.</param>
/// <param name="RuleId">The rule's id, when the YAML got that far.</param>
/// <param name="Rule">The compiled rule; only for <see cref="SigmaRuleStatus.Ok"/>.</param>
/// <param name="Problem">Why the rule is unsupported or invalid, with its line and column; null when ok.</param>
public sealed record SigmaCheckResult(SigmaRuleStatus Status, string? RuleId, CompiledRule? Rule, RuleCompileException? Problem)
{
    /// <summary>The reason without location; null when ok.</summary>
    public string? Reason => Problem?.Problem;
}
