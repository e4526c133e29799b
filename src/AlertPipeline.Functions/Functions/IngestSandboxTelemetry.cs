using AlertPipeline.Functions.EventHubs;
using Microsoft.Azure.Functions.Worker;

namespace AlertPipeline.Functions.Functions;

/// <summary>Sandbox telemetry (ECS events from the sandbox agents) from its Event Hub into the pipeline.</summary>
public sealed class IngestSandboxTelemetry(EventHubBatchProcessor processor)
{
    /// <summary>Handles one batch of one partition.</summary>
    [Function(nameof(IngestSandboxTelemetry))]
    public Task RunAsync(
        [EventHubTrigger(EventHubSettings.SandboxTelemetryHub, Connection = EventHubSettings.Connection,
            ConsumerGroup = EventHubSettings.ConsumerGroup, IsBatched = true)] byte[][] bodies,
        FunctionContext context,
        CancellationToken cancellationToken)
        => processor.ProcessAsync(nameof(IngestSandboxTelemetry), EventHubSettings.SandboxTelemetryHub, bodies, context, cancellationToken);
}
