namespace AlertPipeline.Shipper;

/// <summary>What a <see cref="TelemetryShipper"/> has done since it started; shown in its summary and heartbeats.</summary>
public sealed class ShipperCounters
{
    /// <summary>Non-blank lines read from the sources.</summary>
    public long Lines { get; internal set; }

    /// <summary>Events the hub accepted (lines and heartbeats).</summary>
    public long Sent { get; internal set; }

    /// <summary>Events written to the spool because the hub could not take them then.</summary>
    public long Spooled { get; internal set; }

    /// <summary>Spooled events later sent.</summary>
    public long Drained { get; internal set; }

    /// <summary>Events lost because the spool was full.</summary>
    public long Dropped { get; internal set; }

    /// <summary>Events skipped because one alone is larger than the hub's batch limit.</summary>
    public long Oversized { get; internal set; }

    /// <summary>Heartbeats queued.</summary>
    public long Heartbeats { get; internal set; }

    /// <summary>Attempts to send that failed (the hub unreachable or refusing).</summary>
    public long SendFailures { get; internal set; }
}
