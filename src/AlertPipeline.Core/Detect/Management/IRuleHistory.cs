namespace AlertPipeline.Core.Detect.Management;

/// <summary>
/// The append-only record of rule changes: Table <c>rulehistory</c> in Azure, memory in the embedded mode.
/// Both pass one contract test.
/// </summary>
public interface IRuleHistory
{
    /// <summary>Records <paramref name="change"/>; earlier entries are never changed.</summary>
    Task AppendAsync(RuleChange change, CancellationToken cancellationToken);

    /// <summary>The newest <paramref name="max"/> changes of one rule, newest first.</summary>
    Task<IReadOnlyList<RuleChange>> ListAsync(string pack, string id, int max, CancellationToken cancellationToken);
}
