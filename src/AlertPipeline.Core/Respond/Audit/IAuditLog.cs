namespace AlertPipeline.Core.Respond.Audit;

/// <summary>
/// The audit trail of every notification, command, approval and controller outcome, readable by alert and by sandbox.
/// Implementations: <see cref="InMemoryAuditLog"/> and the Table Storage one in the adapters; both pass one contract test.
/// </summary>
public interface IAuditLog
{
    /// <summary>Appends <paramref name="entry"/>; an entry with the same <see cref="AuditEntry.EntryId"/> is kept once.</summary>
    Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken);

    /// <summary>The entries of one alert, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListByAlertAsync(string alertId, int max, CancellationToken cancellationToken);

    /// <summary>The entries of one sandbox at or after <paramref name="since"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListBySandboxAsync(string sandboxId, DateTimeOffset since, int max, CancellationToken cancellationToken);
}
