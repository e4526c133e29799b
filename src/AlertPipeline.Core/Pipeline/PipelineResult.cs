using AlertPipeline.Core.Events;
using AlertPipeline.Core.Respond;

namespace AlertPipeline.Core.Pipeline;

/// <summary>What one batch did: events accepted, events rejected, alerts touched.</summary>
public sealed record PipelineResult(int EventsAccepted, IReadOnlyList<RejectedEvent> Rejected, IReadOnlyList<Alert> Alerts);
