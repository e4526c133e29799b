namespace AlertPipeline.Core.Enrich.Attribution;

/// <summary>Settings of attribution (section <c>Attribution</c>, app settings <c>Attribution__*</c>).</summary>
public sealed class AttributionOptions
{
    /// <summary>
    /// How far apart in time a firewall's or sensor's record and the sandbox's own event may be and still be linked; also
    /// how far a process start may be from the tool call that started it.
    /// </summary>
    public TimeSpan Tolerance { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long lineage is kept: the correlation sweep deletes older records once an hour.</summary>
    public static TimeSpan Retention { get; } = TimeSpan.FromDays(1);
}
