using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Channels;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond;

/// <summary>Settings of the respond stage.</summary>
public sealed class ResponderOptions
{
    /// <summary>Delivery attempts per channel before the failure is final (it stays visible on the alert).</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>How often a write that lost an ETag race is retried.</summary>
    public int MaxConcurrencyRetries { get; set; } = 8;
}

/// <summary>
/// The respond stage: merges candidates into stored alerts (the alert is written before anything is sent),
/// then runs the channels the policy asks for and records each outcome on the alert. Idempotent under
/// redelivery: events already counted are skipped by per-stream cursors, and a channel that has settled is
/// not run again.
/// </summary>
public sealed partial class AlertResponder
{
    private readonly IAlertStore _store;
    private readonly IReadOnlyDictionary<string, INotificationChannel> _channels;
    private readonly ResponsePolicy _policy;
    private readonly ResponderOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the stage.</summary>
    public AlertResponder(
        IAlertStore store,
        IEnumerable<INotificationChannel> channels,
        ResponsePolicy policy,
        ResponderOptions? options = null,
        TimeProvider? time = null,
        ILogger<AlertResponder>? logger = null)
    {
        _store = store;
        _channels = IndexByName(channels);
        _policy = policy;
        _options = options ?? new ResponderOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Merges and acts on every candidate; returns the alerts as stored afterwards.</summary>
    public async Task<IReadOnlyList<Alert>> RespondAsync(IReadOnlyList<AlertCandidate> candidates, CancellationToken cancellationToken)
    {
        var alerts = new List<Alert>(candidates.Count);
        foreach (var candidate in candidates)
        {
            var alert = await MergeAsync(candidate, cancellationToken).ConfigureAwait(false);
            alert = await ActAsync(alert, cancellationToken).ConfigureAwait(false);
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

    private async Task<Alert> ActAsync(Alert alert, CancellationToken cancellationToken)
    {
        var wanted = _policy.ChannelsFor(alert.Level);
        for (var attempt = 0; ; attempt++)
        {
            var changed = false;
            foreach (var channelName in wanted)
            {
                var record = alert.ActionFor(channelName);
                if (record is null)
                {
                    record = new ActionRecord { Channel = channelName, Status = ActionStatus.Pending };
                    alert.Actions.Add(record);
                    changed = true;
                }

                if (record.IsSettled(_options.MaxAttempts))
                {
                    continue;
                }

                var result = await RunChannelAsync(alert, channelName, cancellationToken).ConfigureAwait(false);
                if (result.Status is ActionStatus.Sent or ActionStatus.Failed)
                {
                    record.Attempts++;
                }

                record.Status = result.Status;
                record.Detail = result.Detail;
                record.UpdatedAt = _time.GetUtcNow();
                changed = true;
                if (result.Status == ActionStatus.Failed)
                {
                    LogActionFailed(alert.AlertId, channelName, record.Attempts, SafeText.Log(result.Detail));
                }
            }

            if (!changed)
            {
                return alert;
            }

            alert.UpdatedAt = _time.GetUtcNow();
            if (await _store.TryUpdateAsync(alert, cancellationToken).ConfigureAwait(false))
            {
                return alert;
            }

            // Another instance changed the alert meanwhile: take its state and act only on what is still unsettled.
            if (attempt >= _options.MaxConcurrencyRetries)
            {
                throw new InvalidOperationException($"Alert {alert.AlertId} actions could not be recorded after {attempt + 1} tries.");
            }

            var fresh = await _store.GetAsync(alert.AlertId, cancellationToken).ConfigureAwait(false)
                ?? throw new InvalidOperationException($"Alert {alert.AlertId} disappeared while acting on it.");
            foreach (var done in alert.Actions)
            {
                var theirs = fresh.ActionFor(done.Channel);
                if (theirs is null)
                {
                    fresh.Actions.Add(done);
                }
                else if (!theirs.IsSettled(_options.MaxAttempts))
                {
                    theirs.Status = done.Status;
                    theirs.Attempts = Math.Max(theirs.Attempts, done.Attempts);
                    theirs.Detail = done.Detail;
                    theirs.UpdatedAt = done.UpdatedAt;
                }
            }

            alert = fresh;
        }
    }

    private static Dictionary<string, INotificationChannel> IndexByName(IEnumerable<INotificationChannel> channels)
    {
        var byName = new Dictionary<string, INotificationChannel>(StringComparer.Ordinal);
        foreach (var channel in channels)
        {
            if (!byName.TryAdd(channel.Name, channel))
            {
                // Two channels under one name would make which one runs an accident of registration order.
                throw new InvalidOperationException($"Two notification channels are registered as '{channel.Name}'.");
            }
        }

        return byName;
    }

    private async Task<ChannelResult> RunChannelAsync(Alert alert, string channelName, CancellationToken cancellationToken)
    {
        if (!_channels.TryGetValue(channelName, out var channel))
        {
            return ChannelResult.Skipped($"channel '{channelName}' is not configured");
        }

        if (alert.Mode == RuleMode.DryRun)
        {
            return new ChannelResult(ActionStatus.DryRun, $"rule in dry-run: would have used {channelName}");
        }

        try
        {
            return await channel.SendAsync(alert, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // A channel bug must not lose the alert or the other channels' outcomes.
            return ChannelResult.Failed($"{ex.GetType().Name}: {SafeText.Log(ex.Message)}");
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Alert {AlertId} created: rule {RuleId} level {Level} sandbox {SandboxId}")]
    private partial void LogAlertCreated(string alertId, string ruleId, string level, string sandboxId);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Alert {AlertId} channel {Channel} failed (attempt {Attempts}): {Detail}")]
    private partial void LogActionFailed(string alertId, string channel, int attempts, string detail);
}
