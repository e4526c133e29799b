namespace AlertPipeline.Core.Respond.Audit;

/// <summary>
/// The audit trail across the whole fleet by time, beside <see cref="IAuditLog"/>'s per-alert and per-sandbox reads: what
/// the suppressed-repeats digest reads for its window. Implemented by <see cref="InMemoryAuditLog"/> and the Table log.
/// </summary>
public interface IAuditTimeline
{
    /// <summary>The entries with <paramref name="from"/> &lt;= At &lt; <paramref name="to"/>, oldest first, at most <paramref name="max"/>.</summary>
    Task<IReadOnlyList<AuditEntry>> ListBetweenAsync(DateTimeOffset from, DateTimeOffset to, int max, CancellationToken cancellationToken);
}
