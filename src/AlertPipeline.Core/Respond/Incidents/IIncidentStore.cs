namespace AlertPipeline.Core.Respond.Incidents;

/// <summary>
/// Where incidents are kept, with optimistic concurrency so two instances adding alerts to one incident cannot lose
/// each other's. Table Storage in Azure, memory in the embedded mode; both pass one contract test.
/// </summary>
public interface IIncidentStore
{
    /// <summary>The incident, or null.</summary>
    Task<Incident?> GetAsync(string incidentId, CancellationToken cancellationToken);

    /// <summary>The sandbox's incident with the highest <see cref="Incident.Sequence"/>, or null when it never had one.</summary>
    Task<Incident?> GetLatestAsync(string sandboxId, CancellationToken cancellationToken);

    /// <summary>Adds a new incident; false if one with that id exists. Sets <see cref="Incident.ETag"/> on success.</summary>
    Task<bool> TryAddAsync(Incident incident, CancellationToken cancellationToken);

    /// <summary>Replaces the incident if its <see cref="Incident.ETag"/> is current; false on a concurrent change. Sets the new ETag on success.</summary>
    Task<bool> TryUpdateAsync(Incident incident, CancellationToken cancellationToken);

    /// <summary>Incidents matching <paramref name="query"/>, latest evidence first.</summary>
    Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken);
}

/// <summary>Which incidents to list.</summary>
public sealed record IncidentQuery
{
    /// <summary>Only this sandbox's incidents.</summary>
    public string? SandboxId { get; init; }

    /// <summary>Only incidents in this status.</summary>
    public IncidentStatus? Status { get; init; }

    /// <summary>Only incidents with evidence at or after this time (<see cref="Incident.LastSeen"/>).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>At most this many.</summary>
    public int Max { get; init; } = 100;
}
