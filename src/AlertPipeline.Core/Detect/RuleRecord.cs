namespace AlertPipeline.Core.Detect;

/// <summary>
/// A rule as stored: one row of the <c>rules</c> table (PartitionKey = <see cref="Pack"/>, RowKey = <see cref="Id"/>).
/// The Sigma YAML is the source of truth; <see cref="Title"/> and <see cref="Level"/> are copies for listing.
/// </summary>
public sealed record RuleRecord(
    string Pack,
    string Id,
    string Title,
    string Level,
    bool Enabled,
    RuleMode Mode,
    string Yaml,
    DateTimeOffset UpdatedAt)
{
    /// <summary>The store's concurrency token; null for a record not yet stored.</summary>
    public string? ETag { get; init; }

    /// <summary>
    /// The row for a Sigma rule: compiled once to check it and to take the key (its Sigma id), title and level
    /// from the YAML, so a row always agrees with the rule it holds. Enabled.
    /// </summary>
    /// <exception cref="RuleCompileException">The YAML is not a rule this compiler accepts.</exception>
    public static RuleRecord FromSigma(string pack, string yaml, RuleMode mode, DateTimeOffset updatedAt)
    {
        var rule = Sigma.SigmaRuleCompiler.Compile(yaml);
        return new RuleRecord(pack, rule.Id, rule.Title, rule.Level.ToSigma(), true, mode, yaml, updatedAt);
    }
}
