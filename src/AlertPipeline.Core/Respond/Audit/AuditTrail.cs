using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Audit;

/// <summary>
/// Writes to the <see cref="IAuditLog"/> on behalf of the dispatcher, the outcome recorder and the digest, without ever
/// failing them: the audit trail is a record of what happened, so an audit write that fails is logged (with the entry)
/// and the notification, command or outcome it describes carries on.
/// </summary>
public sealed partial class AuditTrail(IAuditLog log, ILogger<AuditTrail>? logger = null)
{
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Records <paramref name="entry"/>; a failure is logged, never thrown (cancellation excepted).</summary>
    public async Task RecordAsync(AuditEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        try
        {
            await log.RecordAsync(entry, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAuditFailed(entry.EntryId, entry.Kind, SafeText.Log(entry.AlertId), entry.Action, SafeText.Log(entry.Outcome), ex.GetType().Name, SafeText.Log(ex.Message));
        }
    }

    /// <summary>
    /// The entry for a channel outcome the dispatcher recorded on an alert: a command for the <c>shutdown</c> channel
    /// (guardrail blocks and awaiting-approval included), a notification otherwise. Its id is the alert, channel,
    /// attempt and status, so the same outcome recorded twice (a retried write) stays one entry.
    /// </summary>
    public static AuditEntry ForAction(Alert alert, ActionRecord record)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(record);
        var status = StatusText(record.Status);
        return new AuditEntry
        {
            EntryId = string.Create(CultureInfo.InvariantCulture, $"action:{alert.AlertId}:{record.Channel}:{record.Attempts}:{status}"),
            At = record.UpdatedAt,
            Kind = record.Channel == "shutdown" ? AuditKind.Command : AuditKind.Notification,
            AlertId = alert.AlertId,
            SandboxId = alert.SandboxId,
            Action = record.Channel,
            Outcome = status,
            Detail = string.Create(CultureInfo.InvariantCulture, $"attempt {record.Attempts}{(record.GaveUp ? ", gave up" : string.Empty)}: {record.Detail}"),
        };
    }

    /// <summary>The lower-case name of a status as the audit, the alert JSON and the CLI show it.</summary>
    public static string StatusText(ActionStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>A short, stable id from several parts (hex of SHA-256), for entries whose natural key is long or untrusted.</summary>
    public static string HashId(params string[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\n', parts)))[..16]);
    }

    [LoggerMessage(EventId = 4091, Level = LogLevel.Error, Message = "Audit entry {EntryId} ({Kind} {AlertId} {Action} {Outcome}) not written, carrying on: {Error}: {Detail}")]
    private partial void LogAuditFailed(string entryId, AuditKind kind, string alertId, string action, string outcome, string error, string detail);
}
