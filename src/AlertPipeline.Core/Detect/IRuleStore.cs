namespace AlertPipeline.Core.Detect;

/// <summary>Where rules are kept: Table Storage in Azure, memory in the embedded mode. Both pass one contract test.</summary>
/// <remarks>
/// Operators change rules through the conditional writes (<see cref="CreateAsync"/>, <see cref="ReplaceAsync"/>,
/// <see cref="DeleteAsync(string, string, string, CancellationToken)"/>), so two of them cannot silently overwrite each
/// other. The unconditional ones remain for seeding (replay, tests) where no one else writes.
/// </remarks>
public interface IRuleStore
{
    /// <summary>All rules, or those of one <paramref name="pack"/>.</summary>
    Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken);

    /// <summary>One rule, or null.</summary>
    Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a rule unconditionally; returns it with its new ETag.</summary>
    Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken);

    /// <summary>Deletes a rule unconditionally; false if it did not exist.</summary>
    Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken);

    /// <summary>Stores a new rule; <see cref="RuleWriteOutcome.AlreadyExists"/> (nothing written) if the pack and id are taken.</summary>
    Task<RuleWriteResult> CreateAsync(RuleRecord rule, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces a rule only if its stored ETag is <paramref name="ifMatch"/>: <see cref="RuleWriteOutcome.Stale"/> if it
    /// changed since, <see cref="RuleWriteOutcome.NotFound"/> if it is gone; nothing is written in either case.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="ifMatch"/> is empty or <c>*</c>.</exception>
    Task<RuleWriteResult> ReplaceAsync(RuleRecord rule, string ifMatch, CancellationToken cancellationToken);

    /// <summary>Deletes a rule only if its stored ETag is <paramref name="ifMatch"/>; same outcomes as <see cref="ReplaceAsync"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="ifMatch"/> is empty or <c>*</c>.</exception>
    Task<RuleWriteResult> DeleteAsync(string pack, string id, string ifMatch, CancellationToken cancellationToken);

    /// <summary>
    /// What changed since <paramref name="since"/> (the store's own write time, so instance clocks do not matter):
    /// the rows written at or after it, and the keys of every row, which shows deletions. With
    /// <paramref name="since"/> null, or in a store that cannot tell (the default), every row counts as changed.
    /// </summary>
    async Task<RuleChanges> ListChangesAsync(DateTimeOffset? since, CancellationToken cancellationToken)
    {
        var all = await ListAsync(null, cancellationToken).ConfigureAwait(false);
        return new RuleChanges(all, new HashSet<(string, string)>(all.Select(r => (r.Pack, r.Id))), null);
    }
}

/// <summary>
/// Rows written since a point in time, every key still stored, and the latest write time seen (null when the store
/// keeps none), from which the next query starts.
/// </summary>
public sealed record RuleChanges(IReadOnlyList<RuleRecord> Changed, IReadOnlySet<(string Pack, string Id)> Keys, DateTimeOffset? HighWater);
