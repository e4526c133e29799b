using AlertPipeline.Core.Ingest.Formats;

namespace AlertPipeline.Core.Ingest;

/// <summary>
/// The registry of formats, in detection order: the first whose <see cref="ITelemetryFormat.CanParse"/>
/// accepts a body parses it. Envelopes with a distinctive shape come before the generic native format.
/// </summary>
public static class TelemetryFormats
{
    /// <summary>Every supported format, in detection order.</summary>
    public static IReadOnlyList<ITelemetryFormat> All { get; } =
    [
        new AzureFirewallFormat(),
        new SuricataEveFormat(),
        new FalcoFormat(),
        new ZeekFormat(),
        new TetragonFormat(),
        new DcgmFormat(),
        new EcsFormat(),
    ];
}
