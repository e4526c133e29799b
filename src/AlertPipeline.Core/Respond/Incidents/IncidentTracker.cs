using System.Text.RegularExpressions;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Enrich.Attribution;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>Where <see cref="IncidentTracker.TrackAsync"/> placed an alert, and whether the alert carries the incident's notification.</summary>
/// <param name="Incident">The incident as stored after placing the alert.</param>
/// <param name="Notifies">True when the alert opened or escalated the incident: its email and Teams go out.</param>
/// <param name="Notification">The alert's own notification when it notifies; otherwise the incident's latest one, which covers it.</param>
public sealed record IncidentPlacement(Incident Incident, bool Notifies, IncidentNotification? Notification)
{
    /// <summary>The level the response policy is resolved with for the alert: its own, or the incident's when higher.</summary>
    public AlertLevel EffectiveLevel(Alert alert) => Incident.PolicyLevel(alert, Incident);

    /// <summary>Why a notification channel of a covered alert is skipped: the incident and the notification that covers it.</summary>
    public string CoveredDetail()
        => Notification is { } covering
            ? $"incident {Incident.IncidentId}: covered by its notification with alert {covering.AlertId} ({covering.Reason}, level {covering.Level.ToSigma()})"
            : $"incident {Incident.IncidentId}: covered by the incident's notifications";
}

/// <summary>
/// Joins alerts into incidents, one story per sandbox. An alert of a real sandbox (not <c>unattributed</c>, not from a
/// dry-run rule) joins the sandbox's latest incident when that incident is not resolved and the alert's events lie
/// within <see cref="IncidentOptions.Window"/> of the incident's evidence; otherwise it opens the sandbox's next
/// incident (deterministic id, so two instances racing to open it converge: the loser re-reads and joins). The
/// incident's level is the highest alert level, raised by <see cref="IncidentOptions.EffectiveCombinations"/>. The
/// alert that opens the incident, raises its level or brings a new technique carries a notification; the decision is
/// stored on the incident, so a redelivered alert gets the same answer. Every write is under the incident's ETag.
/// </summary>
public sealed partial class IncidentTracker
{
    /// <summary>The sandbox id of alerts no sandbox could be found for: they join no incident.</summary>
    public const string Unattributed = "unattributed"; // as the pipeline names them

    private static readonly Regex TechniqueTag = new(@"^attack\.(t\d{4}(?:\.\d{3})?)$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase);

    private readonly IIncidentStore _store;
    private readonly IncidentOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxConcurrencyRetries;

    /// <summary>Creates the tracker over <paramref name="store"/>; ETag conflicts are retried as the responder's are (<see cref="ResponderOptions.MaxConcurrencyRetries"/>).</summary>
    public IncidentTracker(IIncidentStore store, IncidentOptions? options = null, TimeProvider? time = null, ILogger<IncidentTracker>? logger = null, ResponderOptions? responder = null)
    {
        _maxConcurrencyRetries = (responder ?? new ResponderOptions()).MaxConcurrencyRetries;
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = options ?? new IncidentOptions();
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The store the tracker writes to.</summary>
    public IIncidentStore Store => _store;

    /// <summary>ATT&amp;CK technique ids in <paramref name="tags"/> (<c>attack.t1552.005</c> → <c>T1552.005</c>), upper case.</summary>
    public static IEnumerable<string> TechniquesOf(IEnumerable<string> tags)
    {
        ArgumentNullException.ThrowIfNull(tags);
        foreach (var tag in tags)
        {
            if (tag is not null && TechniqueTag.Match(tag.Trim()) is { Success: true } match)
            {
                yield return match.Groups[1].Value.ToUpperInvariant();
            }
        }
    }

    /// <summary>
    /// Places <paramref name="alert"/> (as stored) in its incident and returns the placement, or null when the alert joins
    /// no incident (unattributed, dry-run).
    /// </summary>
    public async Task<IncidentPlacement?> TrackAsync(Alert alert, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.SandboxId == Unattributed || string.IsNullOrWhiteSpace(alert.SandboxId) || alert.Mode == RuleMode.DryRun)
        {
            return null;
        }

        for (var attempt = 0; ; attempt++)
        {
            var placement = await TryPlaceAsync(alert, cancellationToken).ConfigureAwait(false);
            if (placement is not null)
            {
                return placement;
            }

            if (attempt >= _maxConcurrencyRetries)
            {
                throw new InvalidOperationException($"The incident of alert {alert.AlertId} kept changing concurrently; giving up after {attempt + 1} tries.");
            }
        }
    }

    /// <summary>
    /// Records what became of a shutdown command of <paramref name="alert"/>'s incident (issued, held for approval, or
    /// the controller's outcome when <paramref name="outcomeBy"/> names the controller): the incident's command list and a timeline entry per
    /// distinct status. A controller's <c>done</c> marks the incident contained. No-op for an alert without incident.
    /// </summary>
    public async Task RecordCommandAsync(Alert alert, string status, string? detail, DateTimeOffset at, CancellationToken cancellationToken, string? outcomeBy = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (alert.IncidentId is null)
        {
            return;
        }

        var cleanStatus = SafeText.Clean(status, 32);
        for (var attempt = 0; ; attempt++)
        {
            var incident = await _store.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);
            if (incident is null)
            {
                return;
            }

            var key = $"command:{alert.AlertId}:{cleanStatus}";
            if (incident.Timeline.Exists(e => e.Key == key))
            {
                break; // recorded before (a redelivery or a retried dispatch)
            }

            var index = incident.Commands.FindIndex(c => c.AlertId == alert.AlertId);
            var command = new IncidentCommand(alert.AlertId, cleanStatus, at);
            if (index < 0)
            {
                incident.Commands.Add(command);
            }
            else
            {
                incident.Commands[index] = command;
            }

            var what = outcomeBy is null ? $"shutdown command {cleanStatus}" : $"controller reported {cleanStatus}";
            var summary = $"{what} for alert \"{alert.Title}\"" + (string.IsNullOrWhiteSpace(detail) ? string.Empty : ": " + detail);
            IncidentTimeline.Add(incident.Timeline, new IncidentTimelineEntry(at, TimelineKinds.Command, SafeText.Clean(summary, IncidentTimeline.MaxSummaryLength), key) { AlertId = alert.AlertId }, int.MaxValue);
            incident.UpdatedAt = _time.GetUtcNow();
            if (await _store.TryUpdateAsync(incident, cancellationToken).ConfigureAwait(false))
            {
                break;
            }

            ThrowIfTooManyConflicts(alert.IncidentId, attempt);
        }

        if (outcomeBy is not null && string.Equals(cleanStatus, "done", StringComparison.OrdinalIgnoreCase))
        {
            await IncidentStatusChanges.SetAsync(_store, alert.IncidentId, IncidentStatus.Contained, outcomeBy, at,
                $"the controller stopped the sandbox for alert {alert.AlertId}", cancellationToken, maxConcurrencyRetries: _maxConcurrencyRetries).ConfigureAwait(false);
        }
    }

    /// <summary>Marks <paramref name="alert"/>'s incident acknowledged by <paramref name="by"/> (a human took one of its alerts).</summary>
    public Task AcknowledgeAsync(Alert alert, string by, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return alert.IncidentId is null
            ? Task.CompletedTask
            : IncidentStatusChanges.SetAsync(_store, alert.IncidentId, IncidentStatus.Acknowledged, by, at,
                $"through alert {alert.AlertId}", cancellationToken, maxConcurrencyRetries: _maxConcurrencyRetries);
    }

    // One read-decide-write round; null when the write lost a race (the caller retries from a fresh read).
    private async Task<IncidentPlacement?> TryPlaceAsync(Alert alert, CancellationToken cancellationToken)
    {
        // 1. Already placed (a redelivery, or new events of a known alert): the incident it names, else the latest.
        Incident? member = null;
        if (alert.IncidentId is not null)
        {
            member = await _store.GetAsync(alert.IncidentId, cancellationToken).ConfigureAwait(false);
        }

        var latest = await _store.GetLatestAsync(alert.SandboxId, cancellationToken).ConfigureAwait(false);
        if (member is null && latest is not null && latest.AlertIds.Contains(alert.AlertId))
        {
            member = latest;
        }

        if (member is not null && member.AlertIds.Contains(alert.AlertId))
        {
            if (!Refresh(member, alert))
            {
                return Placement(member, alert);
            }

            member.UpdatedAt = _time.GetUtcNow();
            return await _store.TryUpdateAsync(member, cancellationToken).ConfigureAwait(false) ? Placement(member, alert) : null;
        }

        // 2. Joins the latest incident while it is open and within the window of its evidence.
        var target = latest is not null && Joins(latest, alert) ? latest : null;

        // An alert that arrives late, before the latest incident's window, may belong to an earlier one.
        if (target is null && latest is not null && alert.LastSeen < latest.FirstSeen - _options.Window)
        {
            for (var sequence = latest.Sequence - 1; sequence >= 1 && sequence >= latest.Sequence - 4; sequence--)
            {
                var earlier = await _store.GetAsync(IncidentIds.For(alert.SandboxId, sequence), cancellationToken).ConfigureAwait(false);
                if (earlier is not null && Joins(earlier, alert))
                {
                    target = earlier;
                    break;
                }
            }
        }

        if (target is not null)
        {
            var notification = Join(target, alert);
            target.UpdatedAt = _time.GetUtcNow();
            if (!await _store.TryUpdateAsync(target, cancellationToken).ConfigureAwait(false))
            {
                return null;
            }

            LogJoined(alert.AlertId, target.IncidentId, target.Level.ToSigma(), notification?.Reason ?? "covered");
            return Placement(target, alert);
        }

        // 3. Opens the sandbox's next incident; a lost race for the id re-reads and joins the winner's.
        var now = _time.GetUtcNow();
        var sequenceNumber = (latest?.Sequence ?? 0) + 1;
        var incident = new Incident
        {
            IncidentId = IncidentIds.For(alert.SandboxId, sequenceNumber),
            SandboxId = alert.SandboxId,
            Sequence = sequenceNumber,
            FirstSeen = alert.FirstSeen,
            LastSeen = alert.LastSeen,
            CreatedAt = now,
            UpdatedAt = now,

            // Starts at its first alert's level, so a combination that alert completes on its own shows as a rise from it.
            Level = alert.Level,
            HighestAlertLevel = alert.Level,
        };
        Join(incident, alert);
        if (!await _store.TryAddAsync(incident, cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        LogOpened(incident.IncidentId, SafeText.Log(alert.SandboxId), alert.AlertId, incident.Level.ToSigma());
        return Placement(incident, alert);
    }

    private bool Joins(Incident incident, Alert alert)
        => incident.Status != IncidentStatus.Resolved
            && alert.LastSeen >= incident.FirstSeen - _options.Window
            && alert.FirstSeen <= incident.LastSeen + _options.Window;

    // Adds a new alert; returns its notification, or null when the incident's notifications already cover it.
    private IncidentNotification? Join(Incident incident, Alert alert)
    {
        var isNew = incident.AlertIds.Count == 0;
        var oldLevel = incident.Level;
        var oldTechniques = incident.Techniques.ToHashSet(StringComparer.Ordinal);
        incident.AlertIds.Add(alert.AlertId);
        Refresh(incident, alert);
        var reasons = new List<string>(2);
        if (isNew)
        {
            reasons.Add("opened");
        }
        else
        {
            if (incident.Level > oldLevel)
            {
                reasons.Add($"level raised to {incident.Level.ToSigma()}"
                    + (incident.Level > incident.HighestAlertLevel && incident.LevelReasons.Count > 0 ? $" ({incident.LevelReasons[^1]})" : string.Empty));
            }

            var added = incident.Techniques.Where(t => !oldTechniques.Contains(t)).ToList();
            if (added.Count > 0)
            {
                reasons.Add((added.Count == 1 ? "new technique " : "new techniques ") + string.Join(", ", added));
            }
        }

        if (reasons.Count == 0)
        {
            return null;
        }

        var now = _time.GetUtcNow();
        var notification = new IncidentNotification(alert.AlertId, string.Join("; ", reasons), incident.Level, [.. incident.Techniques], now);
        incident.Notifications.Add(notification);
        IncidentTimeline.Add(incident.Timeline, new IncidentTimelineEntry(now, TimelineKinds.Notification,
            SafeText.Clean($"notification ({notification.Reason}): level {notification.Level.ToSigma()}, techniques {Techniques(notification.Techniques)}; sent with alert \"{alert.Title}\"", IncidentTimeline.MaxSummaryLength),
            "notification:" + alert.AlertId) { AlertId = alert.AlertId }, int.MaxValue);
        return notification;
    }

    // Folds the alert's level, techniques, times, runs and evidence into the incident; true when anything changed.
    private bool Refresh(Incident incident, Alert alert)
    {
        var changed = false;
        var oldLevel = incident.Level;
        if (alert.Level > incident.HighestAlertLevel)
        {
            incident.HighestAlertLevel = alert.Level;
            changed = true;
        }

        foreach (var technique in TechniquesOf(alert.Tags))
        {
            if (!incident.Techniques.Contains(technique))
            {
                incident.Techniques.Add(technique);
                incident.Techniques.Sort(StringComparer.Ordinal);
                changed = true;
            }
        }

        var level = incident.HighestAlertLevel;
        foreach (var combination in _options.EffectiveCombinations)
        {
            if (combination.Level > incident.HighestAlertLevel && combination.HoldsFor(incident.Techniques))
            {
                var reason = $"combination: {SafeText.Clean(combination.Name, 128)} ({string.Join(" + ", combination.Techniques.Select(t => SafeText.Clean(t, 16)))})";
                if (!incident.LevelReasons.Contains(reason))
                {
                    incident.LevelReasons.Add(reason);
                    changed = true;
                }

                level = combination.Level > level ? combination.Level : level;
            }
        }

        if (level > incident.Level)
        {
            incident.Level = level;
            changed = true;
        }

        if (incident.Level > oldLevel && (incident.AlertIds.Count > 1 || incident.Level > incident.HighestAlertLevel))
        {
            var why = incident.Level > incident.HighestAlertLevel && incident.LevelReasons.Count > 0 ? incident.LevelReasons[^1] : $"alert \"{alert.Title}\"";
            IncidentTimeline.Add(incident.Timeline, new IncidentTimelineEntry(alert.FirstSeen, TimelineKinds.Escalation,
                SafeText.Clean($"level raised from {oldLevel.ToSigma()} to {incident.Level.ToSigma()}: {why}", IncidentTimeline.MaxSummaryLength),
                "escalation:" + incident.Level.ToSigma()) { AlertId = alert.AlertId, Level = incident.Level }, int.MaxValue);
        }

        if (alert.FirstSeen < incident.FirstSeen)
        {
            incident.FirstSeen = alert.FirstSeen;
            changed = true;
        }

        if (alert.LastSeen > incident.LastSeen)
        {
            incident.LastSeen = alert.LastSeen;
            changed = true;
        }

        changed |= AddDistinct(incident.RunIds, alert.Evidence, "sandbox.run_id", AttributionEvidence.RunId);
        changed |= AddDistinct(incident.EpisodeIds, alert.Evidence, "sandbox.episode_id", AttributionEvidence.EpisodeId);
        foreach (var entry in IncidentTimeline.EntriesFor(alert))
        {
            changed |= IncidentTimeline.Add(incident.Timeline, entry, _options.MaxTimelineEntries);
        }

        return changed;
    }

    private static bool AddDistinct(List<string> list, IReadOnlyDictionary<string, string> evidence, params string[] keys)
    {
        var changed = false;
        foreach (var key in keys)
        {
            if (evidence.TryGetValue(key, out var value) && !string.IsNullOrWhiteSpace(value))
            {
                var clean = SafeText.Clean(value, 128);
                if (!list.Contains(clean) && list.Count < 100)
                {
                    list.Add(clean);
                    changed = true;
                }
            }
        }

        return changed;
    }

    private static IncidentPlacement Placement(Incident incident, Alert alert)
    {
        var own = incident.Notifications.FindLast(n => n.AlertId == alert.AlertId);
        if (own is not null)
        {
            return new IncidentPlacement(incident, true, own);
        }

        // The notification that covers the alert: the last one decided before the alert joined.
        var joined = incident.AlertIds.IndexOf(alert.AlertId);
        var covering = incident.Notifications.LastOrDefault(n => incident.AlertIds.IndexOf(n.AlertId) is var i && i >= 0 && i < joined)
            ?? incident.Notifications.LastOrDefault();
        return new IncidentPlacement(incident, false, covering);
    }

    private static string Techniques(IReadOnlyList<string> techniques) => techniques.Count == 0 ? "none" : string.Join(", ", techniques);

    private void ThrowIfTooManyConflicts(string incidentId, int attempt)
    {
        if (attempt >= _maxConcurrencyRetries)
        {
            throw new InvalidOperationException($"Incident {incidentId} kept changing concurrently; giving up after {attempt + 1} tries.");
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning, Message = "Incident {IncidentId} opened: sandbox {SandboxId}, alert {AlertId}, level {Level}")]
    private partial void LogOpened(string incidentId, string sandboxId, string alertId, string level);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Information, Message = "Alert {AlertId} joined incident {IncidentId} (level {Level}; notification: {Notification})")]
    private partial void LogJoined(string alertId, string incidentId, string level, string notification);
}
