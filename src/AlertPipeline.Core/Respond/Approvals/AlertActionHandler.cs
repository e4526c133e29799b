using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Shutdown;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Approvals;

/// <summary>How a link request ended; the HTTP function maps it to a status code.</summary>
public enum ActionLinkStatus
{
    /// <summary>The link is good and the action possible: the confirmation page may offer it (GET only).</summary>
    Ready,

    /// <summary>The action was carried out (200).</summary>
    Done,

    /// <summary>Forged, altered, made for another alert, or signed by an unknown key (403). Nothing changed.</summary>
    Forbidden,

    /// <summary>Expired or already used (410). Nothing changed.</summary>
    Gone,

    /// <summary>The alert does not exist (404).</summary>
    NotFound,

    /// <summary>The alert is no longer in a state the action applies to, or the kill switch is on (409). Nothing changed.</summary>
    Conflict,

    /// <summary>The command could not be queued (503); the shutdown awaits approval again.</summary>
    Failed,
}

/// <summary>The answer to one link request.</summary>
/// <param name="Status">How it ended.</param>
/// <param name="Message">One sentence for the page (fixed text plus cleaned values).</param>
/// <param name="Alert">The alert, when the link was genuine and it exists.</param>
/// <param name="Link">The link, when it was genuine.</param>
public sealed record ActionLinkResult(ActionLinkStatus Status, string Message, Alert? Alert = null, ActionLink? Link = null);

/// <summary>
/// Carries out what a signed link asks: Acknowledge sets the alert's status; Approve issues the held shutdown command
/// exactly once (the transition from awaiting-approval is taken under the alert's ETag, so two approvers, or the card's
/// and the email's links, cannot both issue it); Dismiss sets the status and voids the held command. A link is checked
/// (signature, key, expiry), then the alert's state, and only then is its nonce spent, so a refused request leaves the
/// link usable. Every decision on a genuine link is written to the audit log.
/// </summary>
public sealed partial class AlertActionHandler(
    IAlertStore store,
    IActionNonceStore nonces,
    ActionLinkSigner? signer,
    IAuditLog audit,
    ShutdownChannel? shutdown,
    ShutdownOptions shutdownOptions,
    ResponderOptions? options = null,
    TimeProvider? time = null,
    ILogger<AlertActionHandler>? logger = null)
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ResponderOptions _options = options ?? new ResponderOptions();
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>
    /// Incident tracking: when set, acknowledging (or approving) an alert acknowledges its incident, and an approved
    /// command is recorded on the incident's timeline.
    /// </summary>
    public IncidentTracker? Incidents { get; init; }

    /// <summary>What the confirmation page (GET) may offer: <see cref="ActionLinkStatus.Ready"/>, or why not. Changes nothing.</summary>
    public async Task<ActionLinkResult> CheckAsync(ActionLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var (refusal, alert) = await ValidateAsync(link, cancellationToken).ConfigureAwait(false);
        return refusal ?? new ActionLinkResult(ActionLinkStatus.Ready, Question(link.Action), alert, link);
    }

    /// <summary>Carries out the link's action (POST).</summary>
    public async Task<ActionLinkResult> ExecuteAsync(ActionLink link, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(link);
        var (refusal, alert) = await ValidateAsync(link, cancellationToken).ConfigureAwait(false);
        if (refusal is not null)
        {
            if (refusal.Link is not null)
            {
                await AuditAsync(link, refusal.Alert, refusal.Status.ToString().ToLowerInvariant(), refusal.Message, cancellationToken).ConfigureAwait(false);
            }

            LogRefused(SafeText.Log(link.AlertId), link.Action.ToText(), refusal.Status, refusal.Message);
            return refusal;
        }

        var now = _time.GetUtcNow();
        if (!await nonces.TryConsumeAsync(link, now, cancellationToken).ConfigureAwait(false))
        {
            await AuditAsync(link, alert, "gone", "link already used", cancellationToken).ConfigureAwait(false);
            LogRefused(link.AlertId, link.Action.ToText(), ActionLinkStatus.Gone, "link already used");
            return new ActionLinkResult(ActionLinkStatus.Gone, "This link was already used.", alert, link);
        }

        var result = link.Action == AlertAction.Approve
            ? await ApproveAsync(link, cancellationToken).ConfigureAwait(false)
            : await DecideAsync(link, cancellationToken).ConfigureAwait(false);
        await AuditAsync(link, result.Alert, result.Status == ActionLinkStatus.Done ? Outcome(link.Action, result.Alert) : result.Status.ToString().ToLowerInvariant(),
            result.Message, cancellationToken).ConfigureAwait(false);
        LogDecided(link.AlertId, link.Action.ToText(), result.Status, link.Actor, result.Message);
        return result;
    }

    // Signature first (nothing about an unsigned request is worth reading), then the alert and its state.
    private async Task<(ActionLinkResult? Refusal, Alert? Alert)> ValidateAsync(ActionLink link, CancellationToken cancellationToken)
    {
        switch (signer?.Verify(link))
        {
            case null:
                return (new ActionLinkResult(ActionLinkStatus.Forbidden, "Action links are not configured on this deployment."), null);
            case LinkVerdict.UnknownKey:
                return (new ActionLinkResult(ActionLinkStatus.Forbidden, "This link is not valid: it was signed with a key this deployment does not hold."), null);
            case LinkVerdict.Forged:
                return (new ActionLinkResult(ActionLinkStatus.Forbidden, "This link is not valid: its signature does not match (altered, or made for another alert or action)."), null);
            case LinkVerdict.Expired:
                return (new ActionLinkResult(ActionLinkStatus.Gone, $"This link expired at {link.ExpiresAt:yyyy-MM-dd HH:mm} UTC.", null, link), null);
        }

        var alert = await store.GetAsync(link.AlertId, cancellationToken).ConfigureAwait(false);
        if (alert is null)
        {
            return (new ActionLinkResult(ActionLinkStatus.NotFound, "The alert no longer exists.", null, link), null);
        }

        // Before the state: a spent link says so, rather than what became of the alert since.
        if (await nonces.IsUsedAsync(link, cancellationToken).ConfigureAwait(false))
        {
            return (new ActionLinkResult(ActionLinkStatus.Gone, "This link was already used.", alert, link), alert);
        }

        return (StateRefusal(link, alert) is { } reason ? new ActionLinkResult(ActionLinkStatus.Conflict, reason, alert, link) : null, alert);
    }

    private string? StateRefusal(ActionLink link, Alert alert)
    {
        if (link.Action == AlertAction.Acknowledge)
        {
            return alert.Status == AlertStatus.Open ? null : $"The alert is already {Describe(alert)}.";
        }

        var record = alert.ActionFor("shutdown");
        if (record?.Status != ActionStatus.AwaitingApproval)
        {
            return record is null
                ? "No shutdown was held for this alert."
                : $"Nothing awaits approval: the shutdown is {record.Status.ToString().ToLowerInvariant()} ({SafeText.Clean(record.Detail, 200)}).";
        }

        if (link.Action == AlertAction.Approve)
        {
            if (shutdown is null)
            {
                return "The shutdown channel is not configured (Shutdown__SigningKey), so no command can be issued.";
            }

            if (!shutdownOptions.Enabled)
            {
                return "The kill switch is on (Shutdown__Enabled=false): no command is issued, and this link stays usable until it expires.";
            }
        }

        return null;
    }

    // Acknowledge and Dismiss: one write under the alert's ETag, re-checking the state on every re-read.
    private async Task<ActionLinkResult> DecideAsync(ActionLink link, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var alert = await store.GetAsync(link.AlertId, cancellationToken).ConfigureAwait(false);
            if (alert is null)
            {
                return new ActionLinkResult(ActionLinkStatus.NotFound, "The alert no longer exists.", null, link);
            }

            if (StateRefusal(link, alert) is { } refusal)
            {
                return new ActionLinkResult(ActionLinkStatus.Conflict, refusal + " This link is now spent.", alert, link);
            }

            var now = _time.GetUtcNow();
            if (link.Action == AlertAction.Acknowledge)
            {
                SetStatus(alert, AlertStatus.Acknowledged, link.Actor, now);
            }
            else
            {
                SetStatus(alert, AlertStatus.Dismissed, link.Actor, now);
                var record = alert.ActionFor("shutdown")!;
                record.Status = ActionStatus.Skipped;
                record.Detail = $"dismissed by {link.Actor}: the held command is void";
                record.SendingUntil = null;
                record.UpdatedAt = now;
            }

            alert.UpdatedAt = now;
            if (await store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                if (link.Action == AlertAction.Acknowledge && Incidents is not null)
                {
                    await Incidents.AcknowledgeAsync(alert, link.Actor, now, cancellationToken).ConfigureAwait(false);
                }

                return new ActionLinkResult(ActionLinkStatus.Done,
                    link.Action == AlertAction.Acknowledge ? "The alert is acknowledged." : "The alert is dismissed and the held shutdown is void.", alert, link);
            }

            ThrowIfTooManyConflicts(link, attempt);
        }
    }

    private async Task<ActionLinkResult> ApproveAsync(ActionLink link, CancellationToken cancellationToken)
    {
        // 1. Take the transition out of awaiting-approval under the ETag: only one approver gets past this.
        Alert alert;
        for (var attempt = 0; ; attempt++)
        {
            var stored = await store.GetAsync(link.AlertId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return new ActionLinkResult(ActionLinkStatus.NotFound, "The alert no longer exists.", null, link);
            }

            if (StateRefusal(link, stored) is { } refusal)
            {
                return new ActionLinkResult(ActionLinkStatus.Conflict, refusal + " This link is now spent.", stored, link);
            }

            var now = _time.GetUtcNow();
            var held = stored.ActionFor("shutdown")!;

            // Sent is settled for the dispatcher, so a redelivered shutdown message cannot issue a second command meanwhile.
            held.Status = ActionStatus.Sent;
            held.Detail = $"approved by {link.Actor}: issuing";
            held.SendingUntil = null;
            held.UpdatedAt = now;
            if (stored.Status == AlertStatus.Open)
            {
                // Approving is taking the alert: escalation stops.
                SetStatus(stored, AlertStatus.Acknowledged, link.Actor, now);
            }

            stored.UpdatedAt = now;
            if (await store.TryUpdateAsync(stored, cancellationToken).ConfigureAwait(false))
            {
                alert = stored;
                break;
            }

            ThrowIfTooManyConflicts(link, attempt);
        }

        // 2. Issue through the shutdown channel's signing, ledger and queue.
        var issued = await shutdown!.IssueApprovedAsync(alert, link.Actor, cancellationToken).ConfigureAwait(false);

        // 3. Record what became of it.
        for (var attempt = 0; ; attempt++)
        {
            var record = alert.ActionFor("shutdown")!;
            var now = _time.GetUtcNow();
            record.UpdatedAt = now;
            record.Attempts++;
            switch (issued.Status)
            {
                case ActionStatus.Sent:
                    record.Status = ActionStatus.Sent;
                    record.Detail = $"approved by {link.Actor}: {issued.Detail}";

                    // The controller's signed outcome is accepted only when it echoes this nonce.
                    record.CommandNonce = issued.CommandNonce ?? record.CommandNonce;
                    break;
                case ActionStatus.Failed:
                    // Nothing left: it waits for a human again (the other notification's link still works).
                    record.Status = ActionStatus.AwaitingApproval;
                    record.Detail = $"approved by {link.Actor}, but the command could not be queued: {issued.Detail}";
                    break;
                default:
                    record.Status = ActionStatus.Skipped;
                    record.Detail = $"approved by {link.Actor}, not issued: {issued.Detail}";
                    break;
            }

            alert.UpdatedAt = now;
            if (await store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            ThrowIfTooManyConflicts(link, attempt);
            alert = await store.GetAsync(link.AlertId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Alert {link.AlertId} disappeared while recording its approval.");
        }

        if (Incidents is not null)
        {
            var now = _time.GetUtcNow();
            await Incidents.AcknowledgeAsync(alert, link.Actor, now, cancellationToken).ConfigureAwait(false);
            if (NotificationDispatcher.CommandStatus(issued.Status) is { } commandStatus)
            {
                await Incidents.RecordCommandAsync(alert, commandStatus, $"approved by {link.Actor}: {issued.Detail}", now, cancellationToken).ConfigureAwait(false);
            }
        }

        return issued.Status switch
        {
            ActionStatus.Sent => new ActionLinkResult(ActionLinkStatus.Done, "Approved: the shutdown command is issued.", alert, link),
            ActionStatus.Failed => new ActionLinkResult(ActionLinkStatus.Failed, "Approved, but the command could not be queued; the shutdown awaits approval again.", alert, link),
            _ => new ActionLinkResult(ActionLinkStatus.Done, $"Approved, but no command was issued: {SafeText.Clean(issued.Detail, 200)}.", alert, link),
        };
    }

    private Task AuditAsync(ActionLink link, Alert? alert, string outcome, string detail, CancellationToken cancellationToken)
        => audit.RecordAsync(new AuditEntry
        {
            // One entry per link and outcome: a retried request does not add a second, a refused reuse still shows.
            EntryId = $"approval:{link.AlertId}:{link.Nonce}:{outcome}",
            At = _time.GetUtcNow(),
            Kind = AuditKind.Approval,
            AlertId = link.AlertId,
            SandboxId = alert?.SandboxId ?? string.Empty,
            Action = link.Action.ToText(),
            Outcome = outcome,
            Actor = link.Actor,
            Detail = detail,
        }, cancellationToken);

    private static string Outcome(AlertAction action, Alert? alert) => action switch
    {
        AlertAction.Acknowledge => "acknowledged",
        AlertAction.Dismiss => "dismissed",
        _ => alert?.ActionFor("shutdown")?.Status.ToString().ToLowerInvariant() ?? "approved",
    };

    private static void SetStatus(Alert alert, AlertStatus status, string actor, DateTimeOffset now)
    {
        alert.Status = status;
        alert.StatusBy = actor;
        alert.StatusAt = now;
    }

    private static string Describe(Alert alert)
        => $"{alert.Status.ToString().ToLowerInvariant()}{(alert.StatusBy is null ? string.Empty : " by " + SafeText.Clean(alert.StatusBy, 128))}{(alert.StatusAt is { } at ? $" at {at:yyyy-MM-dd HH:mm} UTC" : string.Empty)}";

    private static string Question(AlertAction action) => action switch
    {
        AlertAction.Acknowledge => "Acknowledge this alert? You take it, and escalation stops.",
        AlertAction.Approve => "Approve the shutdown of this sandbox? A signed command is issued at once.",
        _ => "Dismiss this alert as a false positive? The held shutdown is voided.",
    };

    private void ThrowIfTooManyConflicts(ActionLink link, int attempt)
    {
        if (attempt >= _options.MaxConcurrencyRetries)
        {
            throw new InvalidOperationException($"Alert {link.AlertId} kept changing concurrently while carrying out {link.Action.ToText()}.");
        }
    }

    [LoggerMessage(EventId = 4301, Level = LogLevel.Warning, Message = "Action link for alert {AlertId} ({Action}) refused: {Status}: {Reason}")]
    private partial void LogRefused(string alertId, string action, ActionLinkStatus status, string reason);

    [LoggerMessage(EventId = 4302, Level = LogLevel.Warning, Message = "Action link for alert {AlertId} ({Action}) by {Actor}: {Status}: {Message}")]
    private partial void LogDecided(string alertId, string action, ActionLinkStatus status, string actor, string message);
}
