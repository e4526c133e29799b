using AlertPipeline.Core.Events;

namespace AlertPipeline.Core.Ingest.Formats;

/// <summary>(Being written.)</summary>
public sealed class EcsFormat : ITelemetryFormat
{
    /// <inheritdoc />
    public string Name => "ecs";

    /// <inheritdoc />
    public bool CanParse(ReadOnlySpan<byte> body) => false;

    /// <inheritdoc />
    public void Parse(in TelemetryMessage message, EventBatch batch)
    {
    }
}
