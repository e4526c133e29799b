namespace AlertPipeline.Core.Detect;

/// <summary>Where rules are kept: Table Storage in Azure, memory in the embedded mode. Both pass one contract test.</summary>
public interface IRuleStore
{
    /// <summary>All rules, or those of one <paramref name="pack"/>.</summary>
    Task<IReadOnlyList<RuleRecord>> ListAsync(string? pack, CancellationToken cancellationToken);

    /// <summary>One rule, or null.</summary>
    Task<RuleRecord?> GetAsync(string pack, string id, CancellationToken cancellationToken);

    /// <summary>Creates or replaces a rule unconditionally; returns it with its new ETag.</summary>
    Task<RuleRecord> UpsertAsync(RuleRecord rule, CancellationToken cancellationToken);

    /// <summary>Deletes a rule; false if it did not exist.</summary>
    Task<bool> DeleteAsync(string pack, string id, CancellationToken cancellationToken);
}
