using System.Globalization;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Detect.Heartbeat;

/// <summary>Settings of the heartbeat check (section <c>Heartbeat</c>, app settings <c>Heartbeat__*</c>).</summary>
public sealed class HeartbeatOptions
{
    /// <summary>
    /// How long a sandbox's traffic may go on after its own telemetry stopped before it is an alert. Longer than the
    /// shipper's heartbeat interval (30 s) and the firewall's log delay, so a quiet but healthy sandbox never trips it.
    /// </summary>
    public TimeSpan SilenceAfter { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// Finds sandboxes that stopped sending their own telemetry while the network sensors still see their traffic (an
/// agent blinding its monitor) and raises one alert per silence episode through the <see cref="AlertResponder"/>.
/// A sandbox is judged when its traffic outlived its last telemetry by more than <see cref="HeartbeatOptions.SilenceAfter"/>
/// and it is still silent. A sandbox whose traffic stopped with its telemetry (it stopped, or the firewall's last
/// records trailed a shutdown) does not alert, and neither does one never seen at all. A sandbox seen only on the
/// network, never by its own telemetry, is judged from its first traffic: a monitor that never came up looks the same.
/// </summary>
public sealed class HeartbeatCheck
{
    /// <summary>The rule id of the alerts.</summary>
    public const string RuleId = "sandbox-monitor-silent";

    /// <summary>The pack the built-in rule is reported in.</summary>
    public const string Pack = "builtin";

    /// <summary>The rule the alerts carry: level high, ATT&amp;CK T1562 (impair defenses).</summary>
    public static ActiveRule Rule { get; } = new(Pack, new CompiledRule(RuleId,
        "Sandbox stopped sending telemetry while its network traffic continues", AlertLevel.High, NeverMatches.Instance)
    {
        Status = "stable",
        Description = "The sandbox's own telemetry (process, network, heartbeat events) went silent while firewall or network "
            + "sensors kept seeing its traffic: the agent may have stopped or blinded its monitor.",
        Tags = ["attack.defense-evasion", "attack.t1562", "attack.t1562.001"],
        FalsePositives = ["The telemetry shipper crashed or lost its connection to Event Hubs while the workload kept running."],
    }, RuleMode.Enforce);

    private readonly ISandboxActivityStore _store;
    private readonly AlertResponder _responder;
    private readonly HeartbeatOptions _options;
    private readonly TimeProvider _time;

    /// <summary>Creates the check.</summary>
    public HeartbeatCheck(ISandboxActivityStore store, AlertResponder responder, HeartbeatOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.SilenceAfter <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.SilenceAfter, "Heartbeat:SilenceAfter must be positive.");
        }

        _store = store;
        _responder = responder;
        _options = options;
        _time = time;
    }

    /// <summary>Judges every tracked sandbox now; returns the alerts raised or updated.</summary>
    public async Task<IReadOnlyList<Alert>> RunAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var candidates = new List<AlertCandidate>();
        foreach (var activity in await _store.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (Judge(activity, now) is { } candidate)
            {
                candidates.Add(candidate);
            }
        }

        return candidates.Count == 0 ? [] : await _responder.RespondAsync(candidates, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The alert candidate for <paramref name="activity"/> at <paramref name="now"/>, or null when it is fine.</summary>
    public AlertCandidate? Judge(SandboxActivity activity, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var silenceStart = activity.LastTelemetry ?? activity.NetworkSince;
        if (silenceStart is not { } start || activity.LastNetwork is not { } network || activity.NetworkSinceTelemetry == 0)
        {
            return null;
        }

        if (now - start <= _options.SilenceAfter || network - start <= _options.SilenceAfter)
        {
            return null;
        }

        var evidence = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sandbox.id"] = SafeText.Clean(activity.SandboxId, 256),
            ["heartbeat.last_telemetry"] = activity.LastTelemetry?.ToString("O", CultureInfo.InvariantCulture) ?? "never",
            ["heartbeat.last_network"] = network.ToString("O", CultureInfo.InvariantCulture),
            ["heartbeat.network_events"] = activity.NetworkSinceTelemetry.ToString(CultureInfo.InvariantCulture),
            ["heartbeat.silence_after"] = _options.SilenceAfter.ToString("c", CultureInfo.InvariantCulture),
        };

        // One alert per silence episode: the id is fixed by the episode's start, so every timer run updates the same alert.
        var alertId = AlertIds.For(RuleId, activity.SandboxId, start, TimeSpan.FromTicks(1));
        return new AlertCandidate(alertId, Rule, activity.SandboxId, evidence)
        {
            Correlation = new CorrelationSummary(activity.NetworkSinceTelemetry, start, network),
        };
    }

    /// <summary>The built-in rule matches no event: it is judged on stored activity, not on a batch.</summary>
    private sealed class NeverMatches : EventMatcher
    {
        public static readonly NeverMatches Instance = new();

        public override bool Matches(Events.EventBatch batch, int index) => false;
    }
}
