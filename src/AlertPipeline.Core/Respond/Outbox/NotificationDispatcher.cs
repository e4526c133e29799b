using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Approvals;
using AlertPipeline.Core.Respond.Channels;
using AlertPipeline.Core.Respond.Incidents;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>What became of one dispatched message.</summary>
public enum DispatchKind
{
    /// <summary>Nothing more to do: sent, settled earlier (a redelivery), skipped, dry-run, or the alert is gone.</summary>
    Done,

    /// <summary>A retryable failure: queue the message again after <see cref="DispatchOutcome.Delay"/>.</summary>
    Retry,

    /// <summary>Another dispatcher is sending it right now: look again after <see cref="DispatchOutcome.Delay"/>.</summary>
    Deferred,

    /// <summary>Given up: the failure is on the alert and the message in the poison store.</summary>
    Poisoned,
}

/// <summary>The outcome of <see cref="NotificationDispatcher.DispatchAsync"/>.</summary>
/// <param name="Kind">What to do with the message.</param>
/// <param name="Delay">For <see cref="DispatchKind.Retry"/> and <see cref="DispatchKind.Deferred"/>: how long the message waits.</param>
/// <param name="Detail">Why, for logs and tests.</param>
public readonly record struct DispatchOutcome(DispatchKind Kind, TimeSpan Delay, string Detail)
{
    /// <summary>A notification this dispatch made necessary (the approval request of a held command), to be queued by the caller.</summary>
    public NotificationMessage? FollowUp { get; init; }
}

/// <summary>
/// Sends one queued notification: reads the committed alert, claims the (alert, channel) send under the alert's ETag,
/// sends, and records the outcome and the attempt count on the alert. Exactly one dispatcher sends per claim, so a
/// redelivered or duplicated message finds the channel settled (or claimed) and sends nothing. A crash between the
/// send and the record can still send once more after the claim lapses: delivery is at least once, never a loop.
/// </summary>
public sealed partial class NotificationDispatcher
{
    private readonly IAlertStore _store;
    private readonly Dictionary<string, INotificationChannel> _channels;
    private readonly INotificationPoisonStore _poison;
    private readonly IRateCounter _rates;
    private readonly ResponderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly AuditTrail? _audit;

    /// <summary>Creates a dispatcher over the registered channels; each outcome it records is also audited when <paramref name="audit"/> is given.</summary>
    public NotificationDispatcher(
        IAlertStore store,
        IEnumerable<INotificationChannel> channels,
        INotificationPoisonStore poison,
        ResponderOptions? options = null,
        TimeProvider? time = null,
        ILogger<NotificationDispatcher>? logger = null,
        IRateCounter? rates = null,
        AuditTrail? audit = null)
    {
        _audit = audit;
        _rates = rates ?? new InMemoryRateCounter();
        ArgumentNullException.ThrowIfNull(channels);
        _store = store;
        _poison = poison;
        _options = options ?? new ResponderOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
        _channels = new Dictionary<string, INotificationChannel>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            if (!_channels.TryAdd(channel.Name, channel))
            {
                // Two channels under one name would make which one runs an accident of registration order.
                throw new InvalidOperationException($"Two notification channels are registered as '{channel.Name}'.");
            }
        }
    }

    /// <summary>Incident tracking: when set, issued and held shutdown commands are recorded on the alert's incident.</summary>
    public IncidentTracker? Incidents { get; init; }

    /// <summary>How an incident's command entry names a shutdown outcome; null for outcomes that are no command (skipped, failed).</summary>
    public static string? CommandStatus(ActionStatus status) => status switch
    {
        ActionStatus.Sent => "issued",
        ActionStatus.Printed => "printed",
        ActionStatus.AwaitingApproval => "held for approval",
        _ => null,
    };

    /// <summary>The delay before retry number <paramref name="attempts"/> + 1: exponential, at least what the service asked for.</summary>
    public TimeSpan RetryDelay(int attempts, TimeSpan? retryAfter)
    {
        var exponent = Math.Clamp(attempts - 1, 0, 20);
        var backoff = TimeSpan.FromTicks(Math.Min(_options.RetryBaseDelay.Ticks * (1L << exponent), _options.MaxRetryDelay.Ticks));
        var asked = retryAfter is { } r && r > TimeSpan.Zero ? TimeSpan.FromTicks(Math.Min(r.Ticks, _options.MaxRetryDelay.Ticks)) : TimeSpan.Zero;
        return asked > backoff ? asked : backoff;
    }

    /// <summary>Dispatches <paramref name="message"/>. Delivery failures are outcomes; only storage failures throw.</summary>
    public async Task<DispatchOutcome> DispatchAsync(NotificationMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        // 1. Claim the send (or settle without sending) under the alert's ETag.
        Alert alert;
        ActionRecord record;
        bool? admitted = null; // taken once per dispatch, so an ETag conflict below does not count it twice
        for (var attempt = 0; ; attempt++)
        {
            var stored = await _store.GetAsync(message.AlertId, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                return Done("alert not found");
            }

            var existing = stored.ActionFor(message.Channel);
            if (existing is null)
            {
                return Done("the alert has no such action");
            }

            if (existing.IsSettled(_options.MaxAttempts))
            {
                LogAlreadySettled(message.AlertId, message.Channel, existing.Status);
                return Done($"already {existing.Status}");
            }

            var now = _time.GetUtcNow();
            if (existing.SendingUntil is { } until && until > now)
            {
                return new DispatchOutcome(DispatchKind.Deferred, until - now, "being sent by another dispatcher");
            }

            ChannelResult? settle = null;
            if (stored.Mode == RuleMode.DryRun)
            {
                settle = new ChannelResult(ActionStatus.DryRun, $"rule in dry-run: would have used {message.Channel}");
            }
            else if (!_channels.ContainsKey(ChannelOf(message.Channel)))
            {
                settle = ChannelResult.Skipped($"channel '{message.Channel}' is not configured");
            }
            else if (existing.Attempts == 0 && message.Channel != "shutdown" && _options.MaxPerChannelPerWindow > 0
                && !(admitted ??= await _rates.TryTakeAsync(ChannelOf(message.Channel), now, _options.RateWindow, _options.MaxPerChannelPerWindow, cancellationToken).ConfigureAwait(false)))
            {
                // Only a first attempt takes a place: a retry of an admitted notification is not a new one.
                settle = new ChannelResult(ActionStatus.Suppressed,
                    $"rate cap: {_options.MaxPerChannelPerWindow} {message.Channel} notifications per {_options.RateWindow} reached; alert stored, not sent");
            }

            if (settle is { } result)
            {
                Apply(existing, result, now);
                if (await _store.TryUpdateAsync(stored, cancellationToken).ConfigureAwait(false))
                {
                    await AuditAsync(stored, existing, cancellationToken).ConfigureAwait(false);
                    return Done(result.Status.ToString());
                }
            }
            else
            {
                existing.Attempts++;
                existing.SendingUntil = now + _options.SendLease;
                existing.Detail = $"sending (attempt {existing.Attempts})";
                existing.UpdatedAt = now;
                if (await _store.TryUpdateAsync(stored, cancellationToken).ConfigureAwait(false))
                {
                    alert = stored;
                    record = existing;
                    break;
                }
            }

            ThrowIfTooManyConflicts(message, attempt);
        }

        // 2. Send. A channel bug must not lose the alert or leave the claim standing until it lapses.
        ChannelResult sent;
        try
        {
            sent = await _channels[ChannelOf(message.Channel)].SendAsync(alert, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            sent = ChannelResult.Failed($"{ex.GetType().Name}: {SafeText.Log(ex.Message)}");
        }

        // 3. Record the outcome on the alert, re-reading it if another writer (new events, another channel) came first.
        var gaveUp = sent.Status == ActionStatus.Failed && (sent.Permanent || record.Attempts >= _options.MaxAttempts);
        for (var attempt = 0; ; attempt++)
        {
            Apply(record, sent, _time.GetUtcNow());
            record.GaveUp = gaveUp;
            ApprovalRequest.AddIfHeld(alert, message.Channel, sent.Status, _time.GetUtcNow());
            if (await _store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            ThrowIfTooManyConflicts(message, attempt);
            alert = await _store.GetAsync(message.AlertId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Alert {message.AlertId} disappeared while sending {message.Channel}.");
            record = alert.ActionFor(message.Channel)
                ?? throw new InvalidOperationException($"Alert {message.AlertId} lost its {message.Channel} action while sending.");
        }

        await AuditAsync(alert, record, cancellationToken).ConfigureAwait(false);
        if (Incidents is not null && message.Channel == Shutdown.ShutdownChannel.ChannelName && CommandStatus(sent.Status) is { } commandStatus)
        {
            // After the alert holds the outcome, like the audit: the incident's command list follows the alert's record.
            await Incidents.RecordCommandAsync(alert, commandStatus, record.Detail, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        }

        if (sent.Status != ActionStatus.Failed)
        {
            return Done(sent.Status.ToString()) with { FollowUp = ApprovalRequest.MessageFor(alert, message.Channel, sent.Status) };
        }

        var detail = SafeText.Log(sent.Detail);
        LogSendFailed(message.AlertId, message.Channel, record.Attempts, gaveUp, detail);
        if (!gaveUp)
        {
            return new DispatchOutcome(DispatchKind.Retry, RetryDelay(record.Attempts, sent.RetryAfter), detail);
        }

        await _poison.AddAsync(new PoisonedNotification(message, detail, _time.GetUtcNow()), cancellationToken).ConfigureAwait(false);
        return new DispatchOutcome(DispatchKind.Poisoned, TimeSpan.Zero, detail);
    }

    private static DispatchOutcome Done(string detail) => new(DispatchKind.Done, TimeSpan.Zero, detail);

    // After the alert holds the outcome: the audit never blocks or loses a notification (AuditTrail logs its own failures).
    private Task AuditAsync(Alert alert, ActionRecord record, CancellationToken cancellationToken)
        => _audit?.RecordAsync(AuditTrail.ForAction(alert, record), cancellationToken) ?? Task.CompletedTask;

    // "escalation#2" is the second escalation, sent by the "escalation" channel: the suffix keeps each one's record and
    // idempotency key apart.
    private static string ChannelOf(string actionName)
    {
        var hash = actionName.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? actionName : actionName[..hash];
    }

    private static void Apply(ActionRecord record, ChannelResult result, DateTimeOffset now)
    {
        record.Status = result.Status;
        record.Detail = result.Detail;
        record.CommandNonce = result.CommandNonce ?? record.CommandNonce;
        record.SendingUntil = null;
        record.UpdatedAt = now;
    }

    private void ThrowIfTooManyConflicts(NotificationMessage message, int attempt)
    {
        if (attempt >= _options.MaxConcurrencyRetries)
        {
            // Throwing leaves the queue message to be redelivered; nothing was sent in this step.
            throw new InvalidOperationException($"Alert {message.AlertId} kept changing concurrently while dispatching {message.Channel}.");
        }
    }

    [LoggerMessage(EventId = 4011, Level = LogLevel.Debug, Message = "Notification {AlertId}/{Channel} already {Status}: not sent again")]
    private partial void LogAlreadySettled(string alertId, string channel, ActionStatus status);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Error, Message = "Notification {AlertId}/{Channel} failed (attempt {Attempts}, final {GaveUp}): {Detail}")]
    private partial void LogSendFailed(string alertId, string channel, int attempts, bool gaveUp, string detail);
}
