using Microsoft.Azure.Functions.Worker.Extensions.Abstractions;

namespace AlertPipeline.Functions.EventHubs;

/// <summary>
/// Binds a function to an Event Hub as its trigger (binding type <c>eventHubTrigger</c>, taken from this class's name
/// by the Functions SDK's metadata generators). The project defines its own because the worker's Event Hubs extension
/// package is not available to these builds; the shape follows the host extension's binding properties so the host
/// reads the generated <c>functions.metadata</c> exactly as it would for the official attribute.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter)]
public sealed class EventHubTriggerAttribute : TriggerBindingAttribute, ISupportCardinality
{
    private bool _isBatched = true;

    /// <summary>Triggers on the hub <paramref name="eventHubName"/> (an app setting reference such as <c>%HubName%</c> is resolved by the host).</summary>
    public EventHubTriggerAttribute(string eventHubName) => EventHubName = eventHubName;

    /// <summary>The hub's name, or a <c>%setting%</c> reference to it.</summary>
    public string EventHubName { get; }

    /// <summary>The consumer group; the host uses <c>$Default</c> when unset.</summary>
    public string? ConsumerGroup { get; set; }

    /// <summary>
    /// The app setting (or setting prefix, for identity-based <c>__fullyQualifiedNamespace</c>) that holds the connection.
    /// </summary>
    public string? Connection { get; set; }

    /// <summary>
    /// Whether the function receives a batch (cardinality <c>many</c>). Write it at the use site: the SDK's generators
    /// read the value from the attribute syntax, not from this default.
    /// </summary>
    [DefaultValue(true)]
    public bool IsBatched
    {
        get => _isBatched;
        set => _isBatched = value;
    }

    /// <inheritdoc />
    Cardinality ISupportCardinality.Cardinality
    {
        get => _isBatched ? Cardinality.Many : Cardinality.One;
        set => _isBatched = value == Cardinality.Many;
    }
}
