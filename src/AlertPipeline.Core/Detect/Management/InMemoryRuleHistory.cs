namespace AlertPipeline.Core.Detect.Management;

/// <summary>The embedded-mode twin of the Table rule history.</summary>
public sealed class InMemoryRuleHistory : IRuleHistory
{
    private readonly Lock _gate = new();
    private readonly List<RuleChange> _changes = [];

    /// <inheritdoc />
    public Task AppendAsync(RuleChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            _changes.Add(change);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<RuleChange>> ListAsync(string pack, string id, int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        lock (_gate)
        {
            // Reverse first so that, within one instant, the later append comes first (a stable sort keeps that).
            IReadOnlyList<RuleChange> list = Enumerable.Reverse(_changes)
                .Where(c => c.Pack == pack && c.Id == id)
                .OrderByDescending(c => c.At)
                .Take(max)
                .ToList();
            return Task.FromResult(list);
        }
    }
}
