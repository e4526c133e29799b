using AlertPipeline.Adapters;

namespace AlertPipeline.Functions.EventHubs;

/// <summary>
/// The app settings the triggers read. The host resolves <c>%name%</c> references when it indexes the functions,
/// so one build serves every environment. The names come from <see cref="AppSettings"/>, the list the infra tests check.
/// </summary>
public static class EventHubSettings
{
    /// <summary>The hub carrying sandbox telemetry (ECS events from the sandbox agents).</summary>
    public const string SandboxTelemetryHub = "%" + AppSettings.SandboxTelemetryHubName + "%";

    /// <summary>The hub carrying Azure Firewall diagnostic logs (the diagnostic setting's Event Hub export).</summary>
    public const string FirewallLogsHub = "%" + AppSettings.FirewallLogsHubName + "%";

    /// <summary>The consumer group both functions read with; each deployment gets its own so checkpoints never collide.</summary>
    public const string ConsumerGroup = "%" + AppSettings.EventHubConsumerGroup + "%";

    /// <summary>
    /// The connection setting: a connection string in <c>EventHubConnection</c>, or identity-based
    /// <c>EventHubConnection__fullyQualifiedNamespace</c>.
    /// </summary>
    public const string Connection = AppSettings.EventHubConnection;
}
