using System.Globalization;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Escalation;

/// <summary>Settings of quiet escalation (section <c>Escalation</c>).</summary>
public sealed class EscalationOptions
{
    /// <summary>How long a critical alert may stay open before it is notified again, and the least time between two escalations. Zero turns escalation off.</summary>
    public TimeSpan After { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Most escalations of one alert.</summary>
    public int MaxCount { get; set; } = 3;

    /// <summary>How many of the most recently seen alerts one run looks at.</summary>
    public int ScanLimit { get; set; } = 500;
}

/// <summary>
/// Quiet escalation: a critical alert nobody has acknowledged, dismissed or resolved is notified again once it has been
/// open for <see cref="EscalationOptions.After"/>, then at most once per that interval, up to
/// <see cref="EscalationOptions.MaxCount"/> times. Escalation number n is the action <c>escalation#n</c> on the alert,
/// added together with the count under the alert's ETag, so two timer runs (or instances) queue it once; its outbox key
/// is alert + <c>escalation#n</c>, so a redelivered message sends once. The <c>escalation</c> channel sends the card and
/// email again. The same run re-queues escalations and approval requests whose message was lost (pending, never tried).
/// </summary>
public sealed partial class AlertEscalator(
    IAlertStore store,
    INotificationOutbox outbox,
    EscalationOptions options,
    ResponderOptions? responderOptions = null,
    TimeProvider? time = null,
    ILogger<AlertEscalator>? logger = null)
{
    /// <summary>The channel that sends escalations.</summary>
    public const string Channel = "escalation";

    /// <summary>A pending follow-up older than this without a try is taken as lost and queued again (the dispatcher drops duplicates).</summary>
    public static readonly TimeSpan StrandedAfter = TimeSpan.FromMinutes(10);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly ResponderOptions _responder = responderOptions ?? new ResponderOptions();
    private readonly ILogger _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    /// <summary>
    /// The incidents: when set, an alert whose incident a human has acknowledged (or that is contained or resolved) is not
    /// escalated. An alert whose email and Teams its incident's notification covered is never escalated on its own.
    /// </summary>
    public IIncidentStore? Incidents { get; init; }

    /// <summary>The action name of escalation <paramref name="number"/>.</summary>
    public static string ActionName(int number) => Channel + "#" + number.ToString(CultureInfo.InvariantCulture);

    /// <summary>One pass over the recent alerts; returns how many escalations were queued.</summary>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        if (options.After <= TimeSpan.Zero || options.MaxCount <= 0)
        {
            return 0;
        }

        var queued = 0;
        foreach (var listed in await store.ListAsync(options.ScanLimit, cancellationToken).ConfigureAwait(false))
        {
            var now = _time.GetUtcNow();
            foreach (var stranded in listed.Actions.Where(a => IsStranded(a, now)))
            {
                await outbox.EnqueueAsync(new NotificationMessage(listed.AlertId, stranded.Channel), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
            }

            if (!IsDue(listed, now))
            {
                continue;
            }

            if (await EscalateAsync(listed.AlertId, cancellationToken).ConfigureAwait(false) is { } number)
            {
                // Queued only after the alert holds the pending action: the dispatcher reads it from there.
                await outbox.EnqueueAsync(new NotificationMessage(listed.AlertId, ActionName(number)), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                LogEscalated(listed.AlertId, SafeText.Log(listed.SandboxId), number);
                queued++;
            }
        }

        return queued;
    }

    /// <summary>True when <paramref name="alert"/> should be escalated at <paramref name="now"/>.</summary>
    public bool IsDue(Alert alert, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.Level == AlertLevel.Critical
            && alert.Status == AlertStatus.Open
            && alert.Mode != RuleMode.DryRun
            && alert.Escalations < options.MaxCount
            && now >= (alert.EscalatedAt ?? alert.CreatedAt) + options.After
            && !CoveredByIncident(alert);
    }

    // Its incident's notification went with another alert: re-notifying this one would be per-alert noise again.
    private static bool CoveredByIncident(Alert alert)
        => alert.IncidentId is not null
            && alert.Actions.Exists(a => a.Channel is "email" or "teams")
            && alert.Actions.Where(a => a.Channel is "email" or "teams").All(a => a.Status == ActionStatus.Skipped);

    // Adds the next escalation under the ETag, re-deciding on every re-read; the number, or null when no longer due.
    private async Task<int?> EscalateAsync(string alertId, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var alert = await store.GetAsync(alertId, cancellationToken).ConfigureAwait(false);
            var now = _time.GetUtcNow();
            if (alert is null || !IsDue(alert, now))
            {
                return null;
            }

            if (Incidents is not null && alert.IncidentId is not null
                && await Incidents.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false) is { Status: > IncidentStatus.Open })
            {
                return null; // a human owns the incident (or it is contained): its alerts are not escalated one by one
            }

            var number = alert.Escalations + 1;
            alert.Escalations = number;
            alert.EscalatedAt = now;
            alert.UpdatedAt = now;
            alert.Actions.Add(new ActionRecord
            {
                Channel = ActionName(number),
                Status = ActionStatus.Pending,
                Detail = $"escalation {number.ToString(CultureInfo.InvariantCulture)}: still open {(int)(now - alert.CreatedAt).TotalMinutes} minutes after it was raised",
                UpdatedAt = now,
            });
            if (await store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                return number;
            }

            if (attempt >= _responder.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alertId} kept changing concurrently while escalating it.");
            }
        }
    }

    private static bool IsStranded(ActionRecord record, DateTimeOffset now)
        => (record.Channel == ApprovalRequest.Channel || record.Channel.StartsWith(Channel + "#", StringComparison.Ordinal))
            && record is { Status: ActionStatus.Pending, Attempts: 0, SendingUntil: null }
            && now - record.UpdatedAt >= StrandedAfter;

    [LoggerMessage(EventId = 4401, Level = LogLevel.Warning, Message = "Alert {AlertId} sandbox {SandboxId} still open: escalation {Number} queued")]
    private partial void LogEscalated(string alertId, string sandboxId, int number);
}
