using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>(Being written.)</summary>
public sealed class AzureFirewallFormat : ITelemetryFormat
{
    /// <inheritdoc />
    public string Name => "azure-firewall";

    /// <inheritdoc />
    public bool CanParse(ReadOnlySpan<byte> body) => false;

    /// <inheritdoc />
    public void Parse(in TelemetryMessage message, EventBatch batch)
    {
    }
}
