namespace AlertPipeline.Shipper;

/// <summary>How a <see cref="TelemetryShipper"/> behaves; the <c>alertpipe ship</c> flags map onto these.</summary>
public sealed class ShipperOptions
{
    /// <summary>The sandbox this host runs (<c>--sandbox</c>): partition key and stamped <c>sandbox.id</c>. Null: taken from each event.</summary>
    public string? SandboxId { get; init; }

    /// <summary>How often the shipper sends its own heartbeat (<c>--heartbeat</c>); null sends none.</summary>
    public TimeSpan? HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Events read before they are sent (or spooled) together; bounds the shipper's memory.</summary>
    public int MaxPending { get; init; } = 1000;

    /// <summary>Lines read in one <see cref="TelemetryShipper.PumpAsync"/>, so heartbeats and retries keep their turn during a flood.</summary>
    public int MaxLinesPerPump { get; init; } = 50_000;

    /// <summary>First wait before retrying an unreachable hub; doubled per failure up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan MinRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait between attempts to reach the hub.</summary>
    public TimeSpan MaxRetryDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Host name put in heartbeats.</summary>
    public string HostName { get; init; } = Environment.MachineName;

    /// <summary>Shipper name put in heartbeats (<c>agent.name</c>).</summary>
    public string Name { get; init; } = "alertpipe-ship";

    /// <summary>Shipper version put in heartbeats (<c>agent.version</c>).</summary>
    public string Version { get; init; } = typeof(ShipperOptions).Assembly.GetName().Version?.ToString() ?? "0";
}
