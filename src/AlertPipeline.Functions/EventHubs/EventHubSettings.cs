namespace AlertPipeline.Functions.EventHubs;

/// <summary>
/// The app settings the triggers read. The host resolves <c>%name%</c> references when it indexes the functions,
/// so one build serves every environment.
/// </summary>
public static class EventHubSettings
{
    /// <summary>The hub carrying sandbox telemetry (ECS events from the sandbox agents).</summary>
    public const string SandboxTelemetryHub = "%SandboxTelemetryHubName%";

    /// <summary>The hub carrying Azure Firewall diagnostic logs (the diagnostic setting's Event Hub export).</summary>
    public const string FirewallLogsHub = "%FirewallLogsHubName%";

    /// <summary>The consumer group both functions read with; each deployment gets its own so checkpoints never collide.</summary>
    public const string ConsumerGroup = "%EventHubConsumerGroup%";

    /// <summary>
    /// The connection setting: a connection string in <c>EventHubConnection</c>, or identity-based
    /// <c>EventHubConnection__fullyQualifiedNamespace</c>.
    /// </summary>
    public const string Connection = "EventHubConnection";
}
