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
}
