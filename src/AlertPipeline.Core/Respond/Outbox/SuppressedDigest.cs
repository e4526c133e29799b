using System.Globalization;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond.Audit;
using AlertPipeline.Core.Respond.Channels;
using Microsoft.Extensions.Logging;

namespace AlertPipeline.Core.Respond.Outbox;

/// <summary>What one channel's digest of one window came to.</summary>
/// <param name="Channel">The channel.</param>
/// <param name="WindowStart">The start of the window summarised.</param>
/// <param name="Alerts">Distinct alerts suppressed on the channel in the window.</param>
/// <param name="Status">The send's status, or null when another run had already taken the window (nothing sent).</param>
public readonly record struct DigestResult(string Channel, DateTimeOffset WindowStart, int Alerts, ActionStatus? Status);

/// <summary>
/// The digest of suppressed repeats: for the last complete <see cref="Window"/>, every alert whose notification the
/// per-channel rate cap suppressed (audited as <c>suppressed</c>) is summarised in one message per channel: "N alerts
/// suppressed", then one line per rule and sandbox with its count. The digest is rendered as an alert by the channel's
/// own builder (which escapes and bounds every value) and sent directly, past the rate cap it reports on. Each channel's
/// window is claimed once across instances (the shared rate counter, scope <c>digest-&lt;channel&gt;</c>, cap 1), so a
/// redelivered timer tick or a second instance sends nothing twice; a crash after the claim loses that digest (at most once).
/// </summary>
public sealed partial class SuppressedDigest
{
    /// <summary>The window summarised per run; the timer fires once per window.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(10);

    /// <summary>Most rule/sandbox lines in one digest; the rest are counted in a last line.</summary>
    public const int MaxLines = 40;

    /// <summary>Most alerts read to name their rule (the count covers all).</summary>
    public const int MaxAlertsRead = 500;

    private const int MaxEntries = 20_000;

    private readonly IAuditTimeline _timeline;
    private readonly IAlertStore _alerts;
    private readonly Dictionary<string, INotificationChannel> _channels;
    private readonly IRateCounter _claims;
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <summary>Creates the digest over the registered channels.</summary>
    public SuppressedDigest(
        IAuditTimeline timeline, IAlertStore alerts, IEnumerable<INotificationChannel> channels, IRateCounter claims, AuditTrail audit,
        TimeProvider? time = null, ILogger<SuppressedDigest>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _timeline = timeline;
        _alerts = alerts;
        _channels = channels.Where(c => c.Name != "shutdown").GroupBy(c => c.Name, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        _claims = claims;
        _audit = audit;
        _time = time ?? TimeProvider.System;
        _logger = (ILogger?)logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>Sends the digest of the last complete window on each channel that suppressed anything in it.</summary>
    public async Task<IReadOnlyList<DigestResult>> RunAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var end = new DateTimeOffset(now.UtcTicks - (now.UtcTicks % Window.Ticks), TimeSpan.Zero);
        var start = end - Window;
        var entries = await _timeline.ListBetweenAsync(start, end, MaxEntries, cancellationToken).ConfigureAwait(false);
        var results = new List<DigestResult>();
        foreach (var byChannel in entries
            .Where(e => e.Kind == AuditKind.Notification && e.Outcome == AuditTrail.StatusText(ActionStatus.Suppressed))
            .GroupBy(e => e.Action, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!_channels.TryGetValue(byChannel.Key, out var channel))
            {
                continue;
            }

            var alertIds = byChannel.Select(e => e.AlertId).Distinct(StringComparer.Ordinal).ToList();
            if (!await _claims.TryTakeAsync("digest-" + channel.Name, start, Window, 1, cancellationToken).ConfigureAwait(false))
            {
                LogAlreadySent(channel.Name, start);
                results.Add(new DigestResult(channel.Name, start, alertIds.Count, null));
                continue;
            }

            var digest = await BuildAsync(channel.Name, start, end, byChannel.ToList(), alertIds, now, cancellationToken).ConfigureAwait(false);
            ChannelResult sent;
            try
            {
                sent = await channel.SendAsync(digest, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                sent = ChannelResult.Failed($"{ex.GetType().Name}: {SafeText.Log(ex.Message)}");
            }

            LogDigestSent(channel.Name, start, alertIds.Count, sent.Status, SafeText.Log(sent.Detail));
            await _audit.RecordAsync(new AuditEntry
            {
                EntryId = string.Create(CultureInfo.InvariantCulture, $"digest:{channel.Name}:{start.UtcTicks}"),
                At = _time.GetUtcNow(),
                Kind = AuditKind.Notification,
                AlertId = digest.AlertId,
                SandboxId = digest.SandboxId,
                Action = "digest:" + channel.Name,
                Outcome = AuditTrail.StatusText(sent.Status),
                Detail = $"{digest.Title}: {sent.Detail}",
            }, cancellationToken).ConfigureAwait(false);
            results.Add(new DigestResult(channel.Name, start, alertIds.Count, sent.Status));
        }

        return results;
    }

    /// <summary>The digest as an alert the channel's builder renders: one evidence row per rule and sandbox.</summary>
    private async Task<Alert> BuildAsync(
        string channel, DateTimeOffset start, DateTimeOffset end, List<AuditEntry> entries, List<string> alertIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var groups = new Dictionary<(string Rule, string Sandbox), (int Alerts, long Events)>();
        var level = AlertLevel.Low;
        foreach (var alertId in alertIds.Take(MaxAlertsRead))
        {
            var alert = await _alerts.GetAsync(alertId, cancellationToken).ConfigureAwait(false);
            var key = alert is null
                ? ("(alert no longer stored)", entries.First(e => e.AlertId == alertId).SandboxId)
                : (alert.Title, alert.SandboxId);
            groups.TryGetValue(key, out var count);
            groups[key] = (count.Alerts + 1, count.Events + (alert?.EventCount ?? 0));
            if (alert is not null && alert.Level > level)
            {
                level = alert.Level;
            }
        }

        var unread = alertIds.Count - Math.Min(alertIds.Count, MaxAlertsRead);
        var ordered = groups.OrderByDescending(g => g.Value.Alerts).ThenBy(g => g.Key.Rule, StringComparer.Ordinal).ThenBy(g => g.Key.Sandbox, StringComparer.Ordinal).ToList();
        var evidence = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var ((rule, sandbox), (alerts, events)) in ordered.Take(MaxLines))
        {
            // The number keeps the builders' key order (they sort evidence by key) the order of this list.
            index++;
            evidence[string.Create(CultureInfo.InvariantCulture, $"{index:D2}. {SafeText.Clean(rule, 100)} / {SafeText.Clean(sandbox, 64)}")]
                = string.Create(CultureInfo.InvariantCulture, $"{alerts} alert(s), {events} event(s)");
        }

        var hidden = ordered.Skip(MaxLines).Sum(g => g.Value.Alerts) + unread;
        if (hidden > 0)
        {
            evidence["99. more"] = string.Create(CultureInfo.InvariantCulture, $"{hidden} more alert(s) not listed");
        }

        return new Alert
        {
            AlertId = string.Create(CultureInfo.InvariantCulture, $"digest-{channel}-{start.UtcTicks}"),
            RuleId = "suppressed-digest",
            RulePack = "alertpipeline",
            Title = string.Create(CultureInfo.InvariantCulture, $"{alertIds.Count} alerts suppressed by the {channel} rate cap"),
            Level = level,
            SandboxId = "fleet",
            Description = string.Create(CultureInfo.InvariantCulture,
                $"Between {start:yyyy-MM-dd HH:mm} and {end:HH:mm} UTC the {channel} rate cap held back {entries.Count} notification(s) of {alertIds.Count} alert(s). They are stored and counted; see the audit (alertpipe audit list) and the alerts table."),
            Mode = RuleMode.Enforce,
            FirstSeen = start,
            LastSeen = end,
            EventCount = ordered.Sum(g => g.Value.Events),
            Evidence = evidence,
            CreatedAt = now,
            UpdatedAt = now,
        };
    }

    [LoggerMessage(EventId = 4092, Level = LogLevel.Debug, Message = "Digest of {Channel} for the window from {WindowStart} already taken: not sent again")]
    private partial void LogAlreadySent(string channel, DateTimeOffset windowStart);

    [LoggerMessage(EventId = 4093, Level = LogLevel.Information, Message = "Digest of {Channel} for the window from {WindowStart}: {Alerts} suppressed alerts, {Status}: {Detail}")]
    private partial void LogDigestSent(string channel, DateTimeOffset windowStart, int alerts, ActionStatus status, string detail);
}
