using AlertPipeline.Functions.EventHubs;
using Microsoft.Azure.Functions.Worker;

namespace AlertPipeline.Functions.Functions;

/// <summary>Azure Firewall diagnostic logs (the <c>{"records":[...]}</c> envelopes) from their Event Hub into the pipeline.</summary>
public sealed class IngestFirewallLogs(EventHubBatchProcessor processor)
{
    /// <summary>Handles one batch of one partition.</summary>
    [Function(nameof(IngestFirewallLogs))]
    public Task RunAsync(
        [EventHubTrigger(EventHubSettings.FirewallLogsHub, Connection = EventHubSettings.Connection,
            ConsumerGroup = EventHubSettings.ConsumerGroup, IsBatched = true)] byte[][] bodies,
        FunctionContext context,
        CancellationToken cancellationToken)
        => processor.ProcessAsync(nameof(IngestFirewallLogs), EventHubSettings.FirewallLogsHub, bodies, context, cancellationToken);
}
