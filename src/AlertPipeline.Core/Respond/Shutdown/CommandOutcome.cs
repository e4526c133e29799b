using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Shutdown;

/// <summary>
/// What a sandbox controller did with a command, as it puts it on the results queue. Fields other than the
/// status come from the command the controller verified, or, for a rejected message, from whatever it claimed.
/// </summary>
public sealed record CommandOutcome
{
    /// <summary>The command, or empty when the message could not be read.</summary>
    public string CommandId { get; init; } = string.Empty;

    /// <summary>The alert the command was for.</summary>
    public string AlertId { get; init; } = string.Empty;

    /// <summary>The sandbox.</summary>
    public string SandboxId { get; init; } = string.Empty;

    /// <summary>The action.</summary>
    public string Action { get; init; } = string.Empty;

    /// <summary><c>done</c> (hook exited 0), <c>failed</c> (hook failed) or <c>rejected</c> (not verified: forged, expired, replayed…).</summary>
    public required string Status { get; init; }

    /// <summary>Why, or the hook's exit code and last output line (cleaned, bounded).</summary>
    public string Detail { get; init; } = string.Empty;

    /// <summary>When the controller finished.</summary>
    public DateTimeOffset At { get; init; }

    /// <summary>The nonce of the verified command this answers; empty when the command was not verified (it answers nothing the pipeline issued).</summary>
    public string Nonce { get; init; } = string.Empty;

    /// <summary>The id of the controller's result key (see <see cref="OutcomeSigner"/>): the host that reports.</summary>
    public string KeyId { get; init; } = string.Empty;

    /// <summary>Base64url HMAC-SHA256 over <see cref="OutcomeSigner.CanonicalForm"/>.</summary>
    public string Signature { get; init; } = string.Empty;

    /// <summary>The results-queue message text.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, AlertJson.Options);

    /// <summary>Parses a results-queue message, or null.</summary>
    public static CommandOutcome? TryParse(string? json)
    {
        try
        {
            return string.IsNullOrWhiteSpace(json) ? null : JsonSerializer.Deserialize<CommandOutcome>(json, AlertJson.Options);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// Records a controller's outcome on the alert's command action (under the alert's ETag). The results queue is writable
/// by every sandbox host, so an outcome is trusted only when it is signed by a configured controller result key
/// (<see cref="OutcomeSigner"/>) and answers the command the pipeline issued for that alert: its command id, and the
/// nonce kept on the alert's action. Anything else (unsigned, forged, unknown key, another command) is refused: logged
/// and audited, nothing on the alert. The first outcome of an issued command stands; a later one (the controller
/// refusing a replay of it) is audited only.
/// </summary>
public sealed partial class CommandOutcomeRecorder(
    IAlertStore store,
    ResponderOptions? options = null,
    ILogger<CommandOutcomeRecorder>? logger = null,
    OutcomeSigner? signer = null,
    AuditTrail? audit = null)
{
    private readonly ResponderOptions _options = options ?? new ResponderOptions();
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>Incident tracking: when set, a recorded outcome goes on the alert's incident; <c>done</c> marks it contained.</summary>
    public IncidentTracker? Incidents { get; init; }

    /// <summary>Records <paramref name="outcome"/>; false (logged and audited as refused) when it is not a verified answer to a command of ours.</summary>
    public async Task<bool> RecordAsync(CommandOutcome outcome, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        string reason;
        if (signer is null)
        {
            reason = "no controller result keys are configured (Controller__ResultKeys__<keyId>)";
        }
        else if (!signer.Verify(outcome, out reason))
        {
            // reason set by Verify
        }
        else if (string.IsNullOrEmpty(outcome.AlertId) || outcome.CommandId != ShutdownChannel.CommandIdFor(outcome.AlertId))
        {
            reason = "matches no command the pipeline issued";
        }
        else
        {
            return await RecordVerifiedAsync(outcome, cancellationToken).ConfigureAwait(false);
        }

        await RefuseAsync(outcome, reason, verified: false, cancellationToken).ConfigureAwait(false);
        return false;
    }

    private async Task<bool> RecordVerifiedAsync(CommandOutcome outcome, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var alert = await store.GetAsync(outcome.AlertId, cancellationToken).ConfigureAwait(false);
            var record = alert?.ActionFor("shutdown");
            if (alert is null || record is null)
            {
                await RefuseAsync(outcome, "matches no command the pipeline issued", verified: true, cancellationToken).ConfigureAwait(false);
                return false;
            }

            if (record.CommandNonce is null || !SameNonce(record.CommandNonce, outcome.Nonce))
            {
                await RefuseAsync(outcome, "answers no command the pipeline issued (nonce differs)", verified: true, cancellationToken).ConfigureAwait(false);
                return false;
            }

            var text = $"{SafeText.Clean(outcome.Status, 16)}: {SafeText.Clean(outcome.Detail, 300)} ({outcome.At:O})";
            if (record.Outcome is not null)
            {
                // The command ran (or was refused) once; a second report for it is the controller refusing a replay.
                LogLaterOutcome(alert.AlertId, SafeText.Log(alert.SandboxId), text);
                await AuditAsync(outcome, alert.SandboxId, "not on the alert, an earlier outcome stands: " + text, cancellationToken).ConfigureAwait(false);
                return false;
            }

            record.Outcome = text;
            record.UpdatedAt = outcome.At;
            alert.UpdatedAt = outcome.At;
            if (await store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                LogRecorded(alert.AlertId, SafeText.Log(alert.SandboxId), record.Outcome);
                await AuditAsync(outcome, alert.SandboxId, text, cancellationToken).ConfigureAwait(false);
                if (Incidents is not null)
                {
                    await Incidents.RecordCommandAsync(alert, SafeText.Clean(outcome.Status, 16), SafeText.Clean(outcome.Detail, 300), outcome.At,
                        cancellationToken, outcomeBy: "controller:" + SafeText.Clean(outcome.KeyId, 64)).ConfigureAwait(false);
                }

                return true;
            }

            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alert.AlertId} kept changing while recording its command outcome.");
            }
        }
    }

    private static bool SameNonce(string issued, string reported)
        => CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(issued), Encoding.UTF8.GetBytes(reported));

    private Task AuditAsync(CommandOutcome outcome, string sandboxId, string detail, CancellationToken cancellationToken)
        => audit?.RecordAsync(new AuditEntry
        {
            EntryId = "result:" + AuditTrail.HashId(OutcomeSigner.CanonicalForm(outcome), outcome.Signature),
            At = outcome.At,
            Kind = AuditKind.ControllerOutcome,
            AlertId = outcome.AlertId,
            SandboxId = sandboxId,
            Action = SafeText.Clean(outcome.Action, 32),
            Outcome = SafeText.Clean(outcome.Status, 16),
            Actor = "controller:" + outcome.KeyId,
            Detail = detail,
        }, cancellationToken) ?? Task.CompletedTask;

    // A refused result names whatever it claims (cleaned and bounded): an operator can find it by the alert it names.
    private async Task RefuseAsync(CommandOutcome outcome, string reason, bool verified, CancellationToken cancellationToken)
    {
        var claimed = $"{SafeText.Clean(outcome.Status, 16)}: {SafeText.Clean(outcome.Detail, 300)}";
        LogRefused(SafeText.Log(outcome.CommandId), SafeText.Log(outcome.AlertId), SafeText.Log(outcome.KeyId), reason, SafeText.Log(claimed));
        if (audit is null)
        {
            return;
        }

        await audit.RecordAsync(new AuditEntry
        {
            EntryId = "result:" + AuditTrail.HashId(OutcomeSigner.CanonicalForm(outcome), outcome.Signature),
            At = outcome.At == default ? DateTimeOffset.UnixEpoch : outcome.At,
            Kind = AuditKind.ControllerOutcome,
            AlertId = Claimed(outcome.AlertId, 64),
            SandboxId = Claimed(outcome.SandboxId, 128),
            Action = Claimed(outcome.Action, 32),
            Outcome = "refused",
            Actor = verified ? "controller:" + outcome.KeyId : "unverified:" + Claimed(outcome.KeyId, 64),
            Detail = $"{reason}; claimed {claimed}",
        }, cancellationToken).ConfigureAwait(false);
    }

    private static string Claimed(string value, int max) => string.IsNullOrWhiteSpace(value) ? "unknown" : SafeText.Clean(value, max);

    [LoggerMessage(EventId = 4021, Level = LogLevel.Warning, Message = "Command outcome {CommandId} for alert {AlertId} (key {KeyId}) refused: {Reason}; claimed {Claimed}")]
    private partial void LogRefused(string commandId, string alertId, string keyId, string reason, string claimed);

    [LoggerMessage(EventId = 4022, Level = LogLevel.Information, Message = "Alert {AlertId} sandbox {SandboxId} command outcome: {Outcome}")]
    private partial void LogRecorded(string alertId, string sandboxId, string outcome);

    [LoggerMessage(EventId = 4023, Level = LogLevel.Information, Message = "Alert {AlertId} sandbox {SandboxId}: a later outcome ({Outcome}) is audited only; the first stands")]
    private partial void LogLaterOutcome(string alertId, string sandboxId, string outcome);
}
