namespace AlertPipeline.Core.Respond.Audit;

/// <summary>The audit trail in memory: for <c>alertpipe replay</c> and tests.</summary>
public sealed class InMemoryAuditLog : IAuditLog, IAuditTimeline
{
    private readonly Dictionary<string, AuditEntry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <inheritdoc />
    public Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            _entries.TryAdd(entry.EntryId, entry);
        }

        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListByAlertAsync(string alertId, int max, CancellationToken cancellationToken)
        => Task.FromResult(Select(e => e.AlertId == alertId, max));

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListBySandboxAsync(string sandboxId, DateTimeOffset since, int max, CancellationToken cancellationToken)
        => Task.FromResult(Select(e => e.SandboxId == sandboxId && e.At >= since, max));

    /// <inheritdoc />
    public Task<IReadOnlyList<AuditEntry>> ListBetweenAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken)
        => Task.FromResult(Select(e => e.At >= from && e.At < to, max));

    private IReadOnlyList<AuditEntry> Select(Func<AuditEntry, bool> predicate, int max)
    {
        lock (_gate)
        {
            return _entries.Values.Where(predicate).OrderBy(e => e.At).ThenBy(e => e.EntryId, StringComparer.Ordinal).Take(Math.Max(0, max)).ToList();
        }
    }
}
