using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using AlertPipeline.Core.Respond.Outbox;
using AlertPipeline.Core.Respond.Policy;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond;

/// <summary>Settings of the respond stage.</summary>
public sealed class ResponderOptions
{
    /// <summary>Delivery attempts per channel before the failure is final (it stays visible on the alert).</summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>How often a write that lost an ETag race is retried.</summary>
    public int MaxConcurrencyRetries { get; set; } = 8;

    /// <summary>Delay before the first retry of a failed notification; it doubles with each further attempt.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest wait between two attempts, a service's <c>Retry-After</c> included.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// How long a dispatcher's claim on a send holds: longer than any channel's timeout, so a slow send is not
    /// duplicated, and short enough that a crashed dispatcher's send is taken over.
    /// </summary>
    public TimeSpan SendLease { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Rate cap: most notifications per channel per <see cref="RateWindow"/> across the fleet; past it an alert's
    /// notification is <see cref="ActionStatus.Suppressed"/> (the alert is still stored and counted). The shutdown
    /// channel has its own cap and is not counted here. 0 turns the cap off.
    /// </summary>
    public int MaxPerChannelPerWindow { get; set; } = 30;

    /// <summary>The fixed window of the rate cap.</summary>
    public TimeSpan RateWindow { get; set; } = TimeSpan.FromMinutes(10);
}

/// <summary>
/// The respond stage: merges candidates into stored alerts, records a pending action per channel the policy asks
/// for, commits the alert, and only then queues one notification per (alert, channel) on the outbox; the
/// <see cref="NotificationDispatcher"/> sends and records each outcome on the alert. Idempotent under redelivery:
/// events already counted are skipped by per-stream cursors, and a channel that has settled is not sent again.
/// </summary>
public sealed partial class AlertResponder
{
    private readonly IAlertStore _store;
    private readonly INotificationOutbox _outbox;
    private readonly ResponsePolicy _policy;
    private readonly ResponderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>
    /// Creates the stage for the embedded mode: notifications are dispatched at once through
    /// <paramref name="channels"/> by an <see cref="InlineNotificationOutbox"/>, failures to an in-memory poison store.
    /// </summary>
    public AlertResponder(
        IAlertStore store,
        IEnumerable<INotificationChannel> channels,
        ResponsePolicy policy,
        ResponderOptions? options = null,
        TimeProvider? time = null,
        ILogger<AlertResponder>? logger = null)
        : this(store, InlineOutbox(store, channels, options, time), policy, options, time, logger)
    {
    }

    /// <summary>Creates the stage queueing notifications on <paramref name="outbox"/>.</summary>
    public AlertResponder(
        IAlertStore store,
        INotificationOutbox outbox,
        ResponsePolicy policy,
        ResponderOptions? options = null,
        TimeProvider? time = null,
        ILogger<AlertResponder>? logger = null)
    {
        _store = store;
        _outbox = outbox;
        _policy = policy;
        _options = options ?? new ResponderOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>
    /// The stored response policy; when set, the channels come from its current policy (whose defaults are the
    /// settings-based one) instead of the fixed policy given to the constructor.
    /// </summary>
    public ResponsePolicyProvider? Policies { get; init; }

    /// <summary>The inventory giving the sandbox's team and environment to the policy; without it only level and rule match.</summary>
    public SandboxSnapshotProvider? Sandboxes { get; init; }

    /// <summary>
    /// Incident tracking: when set, every alert is placed in its sandbox's incident before acting, the email and Teams
    /// channels act only for the alert that opened or escalated the incident (the others record them as skipped, naming
    /// the notification that covers them), and the policy is resolved with the incident's level when it is higher.
    /// Without it every alert notifies on its own (tests, embedded uses that want per-alert behaviour).
    /// </summary>
    public IncidentTracker? Incidents { get; init; }

    /// <summary>Merges and acts on every candidate; returns the alerts as stored afterwards.</summary>
    public async Task<IReadOnlyList<Alert>> RespondAsync(IReadOnlyList<AlertCandidate> candidates, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var alert = await MergeAsync(candidate, cancellationToken).ConfigureAwait(false);
            var placement = Incidents is null ? null : await Incidents.TrackAsync(alert, cancellationToken).ConfigureAwait(false);
            alert = await ActAsync(alert, placement, cancellationToken).ConfigureAwait(false);
            alerts.Add(alert);
        }

        return alerts;
    }

    private async Task<Alert> MergeAsync(AlertCandidate candidate, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            var existing = await _store.GetAsync(candidate.AlertId, cancellationToken).ConfigureAwait(false);
            var alert = existing ?? NewAlert(candidate);
            var added = candidate.Correlation is { } summary ? ApplyCorrelation(alert, summary) : CountNewEvents(alert, candidate);
            if (existing is not null && added == 0)
            {
                return existing; // a pure redelivery changes nothing
            }

            alert.UpdatedAt = _time.GetUtcNow();
            var written = existing is null
                ? await _store.TryAddAsync(alert, cancellationToken).ConfigureAwait(false)
                : await _store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false);
            if (written)
            {
                if (existing is null)
                {
                    LogAlertCreated(alert.AlertId, alert.RuleId, alert.Level.ToSigma(), SafeText.Log(alert.SandboxId));
                }

                return alert;
            }

            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alert.AlertId} kept changing concurrently; giving up after {attempt + 1} tries.");
            }
        }
    }

    private Alert NewAlert(AlertCandidate candidate)
    {
        var rule = candidate.Rule.Rule;
        var now = _time.GetUtcNow();
        return new Alert
        {
            AlertId = candidate.AlertId,
            RuleId = rule.Id,
            RulePack = candidate.Rule.Pack,
            Title = rule.Title,
            Level = rule.Level,
            Tags = rule.Tags,
            References = rule.References,
            Description = rule.Description,
            SandboxId = candidate.SandboxId,
            Mode = candidate.Rule.Mode,
            FirstSeen = DateTimeOffset.MaxValue,
            LastSeen = DateTimeOffset.MinValue,
            Evidence = new Dictionary<string, string>(candidate.Evidence, StringComparer.Ordinal),
            CreatedAt = now,
        };
    }

    private static int CountNewEvents(Alert alert, AlertCandidate candidate)
    {
        var added = 0;
        foreach (var matched in candidate.Events)
        {
            var cursor = new EventCursor(matched.Position.Sequence, matched.Position.Record);
            if (alert.Cursors.TryGetValue(matched.Position.Stream, out var seen) && cursor.CompareTo(seen) <= 0)
            {
                continue;
            }

            alert.Cursors[matched.Position.Stream] = cursor;
            alert.EventCount++;
            added++;
            if (matched.Timestamp < alert.FirstSeen)
            {
                alert.FirstSeen = matched.Timestamp;
            }

            if (matched.Timestamp > alert.LastSeen)
            {
                alert.LastSeen = matched.Timestamp;
            }
        }

        return added;
    }

    private static int ApplyCorrelation(Alert alert, CorrelationSummary summary)
    {
        var changed = 0;
        if (summary.Count > alert.EventCount)
        {
            alert.EventCount = summary.Count;
            changed++;
        }

        if (summary.WindowStart < alert.FirstSeen)
        {
            alert.FirstSeen = summary.WindowStart;
            changed++;
        }

        if (summary.WindowEnd > alert.LastSeen)
        {
            alert.LastSeen = summary.WindowEnd;
            changed++;
        }

        alert.Evidence["correlation.count"] = alert.EventCount.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return changed;
    }

    private async Task<Alert> ActAsync(Alert alert, IncidentPlacement? placement, CancellationToken cancellationToken)
    {
        // With incidents, an alert's channels are decided once, when it joins its incident (the alert's IncidentId and
        // actions are written together): a redelivery, or new events after the incident rose, add none, so a replayed
        // batch reproduces the first decision exactly. Pending actions are still queued below.
        var decided = placement is not null && alert.IncidentId == placement.Incident.IncidentId;
        var level = placement?.EffectiveLevel(alert) ?? alert.Level;
        var wanted = decided ? [] : (await DecideAsync(alert, level, cancellationToken).ConfigureAwait(false)).Channels;
        for (var attempt = 0; ; attempt++)
        {
            var changed = false;
            if (placement is not null && alert.IncidentId != placement.Incident.IncidentId)
            {
                alert.IncidentId = placement.Incident.IncidentId;
                changed = true;
            }

            foreach (var channelName in wanted)
            {
                if (alert.ActionFor(channelName) is not null)
                {
                    continue;
                }

                // A dry-run rule settles here: nothing is queued that could send. An alert its incident's notification
                // covers settles too, visibly: the shutdown channel stays per alert.
                var dryRun = alert.Mode == RuleMode.DryRun;
                var covered = !dryRun && placement is { Notifies: false } && channelName != Shutdown.ShutdownChannel.ChannelName;
                alert.Actions.Add(new ActionRecord
                {
                    Channel = channelName,
                    Status = dryRun ? ActionStatus.DryRun : covered ? ActionStatus.Skipped : ActionStatus.Pending,
                    Detail = dryRun ? $"rule in dry-run: would have used {channelName}" : covered ? placement!.CoveredDetail() : null,
                    UpdatedAt = _time.GetUtcNow(),
                });
                changed = true;
            }

            if (!changed)
            {
                break;
            }

            // The alert (with its pending actions) is committed before anything is queued: the outbox.
            alert.UpdatedAt = _time.GetUtcNow();
            if (await _store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alert.AlertId} actions could not be recorded after {attempt + 1} tries.");
            }

            // Another instance changed the alert meanwhile: take its state and add only what is still missing.
            alert = await _store.GetAsync(alert.AlertId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Alert {alert.AlertId} disappeared while acting on it.");
        }

        // Queue every action not yet tried. A redelivered batch queues them again if an earlier run died before
        // queueing; the dispatcher drops what another message already settled or is sending, so nothing sends twice.
        var queued = 0;
        foreach (var record in alert.Actions)
        {
            if (record.Status == ActionStatus.Pending && record.Attempts == 0 && record.SendingUntil is null)
            {
                await _outbox.EnqueueAsync(new NotificationMessage(alert.AlertId, record.Channel), TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
                queued++;
            }
        }

        // The embedded outbox has sent by now; report what the store holds, not the copy from before.
        return queued == 0 ? alert : await _store.GetAsync(alert.AlertId, cancellationToken).ConfigureAwait(false) ?? alert;
    }

    private async ValueTask<ResponseDecision> DecideAsync(Alert alert, AlertLevel level, CancellationToken cancellationToken)
    {
        var policy = Policies is null ? _policy : await Policies.GetAsync(cancellationToken).ConfigureAwait(false);
        var sandbox = Sandboxes is null ? null : (await Sandboxes.GetAsync(cancellationToken).ConfigureAwait(false)).Find(alert.SandboxId);
        return policy.Resolve(level, alert.RuleId, sandbox?.Team, sandbox?.Environment);
    }

    private static InlineNotificationOutbox InlineOutbox(IAlertStore store, IEnumerable<INotificationChannel> channels, ResponderOptions? options, TimeProvider? time)
    {
        var dispatcher = new NotificationDispatcher(store, channels, new InMemoryNotificationPoisonStore(), options, time);
        return new InlineNotificationOutbox(() => dispatcher);
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Alert {AlertId} created: rule {RuleId} level {Level} sandbox {SandboxId}")]
    private partial void LogAlertCreated(string alertId, string ruleId, string level, string sandboxId);
}
