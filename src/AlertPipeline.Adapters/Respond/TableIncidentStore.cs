using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Azure;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Respond;

/// <summary>
/// The incident store on Azure Table Storage, table <c>incidents</c>, two kinds of rows:
/// <list type="bullet">
/// <item>the incident: PartitionKey = incident id, RowKey = <c>incident</c>; scalar columns (SandboxId, Sequence, Status,
/// Level, FirstSeen, LastSeen) for querying, the whole incident as <see cref="AlertJson"/> in <c>Json0..JsonN</c>
/// (<see cref="TableJsonColumns"/>). Its ETag is the incident's concurrency token, and adding it decides a race to open
/// an incident id.</item>
/// <item>the sandbox index: PartitionKey = <c>sandbox-</c> + hash of the sandbox id, RowKey = inverted sequence, so the
/// sandbox's latest incident is the partition's first row. Written after the incident (an upsert, idempotent); an add
/// that finds the incident already there writes it again, so a crash between the two writes heals on the next try.</item>
/// </list>
/// <see cref="ListAsync"/> scans incident rows with a projection and reads the newest in full, like the alert listing:
/// fine while retention keeps the table small.
/// </summary>
public sealed class TableIncidentStore : IIncidentStore
{
    /// <summary>RowKey of an incident row (public for the layout tests).</summary>
    public const string IncidentRow = "incident";

    /// <summary>Prefix of the sandbox index partitions.</summary>
    public const string SandboxPartitionPrefix = "sandbox-";

    private const int MaxParallelReads = 16;

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.IncidentsTable"/>) of <paramref name="service"/>.</summary>
    public TableIncidentStore(TableServiceClient service, string tableName = StorageNames.IncidentsTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <summary>The index partition of <paramref name="sandboxId"/>: hashed, since sandbox ids may hold characters keys cannot.</summary>
    public static string SandboxPartition(string sandboxId)
        => SandboxPartitionPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sandboxId)).AsSpan(0, 16));

    /// <inheritdoc />
    public async Task<Incident?> GetAsync(string incidentId, CancellationToken cancellationToken)
    {
        TableKeys.Require(incidentId, "incident id");
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var response = await _table.GetEntityIfExistsAsync<TableEntity>(incidentId, IncidentRow, cancellationToken: cancellationToken).ConfigureAwait(false);
        return response.HasValue ? FromEntity(response.Value!) : null;
    }

    /// <inheritdoc />
    public async Task<Incident?> GetLatestAsync(string sandboxId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sandboxId);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var partition = SandboxPartition(sandboxId);
        await foreach (var row in _table.QueryAsync<TableEntity>(e => e.PartitionKey == partition, maxPerPage: 1, select: ["IncidentId"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            var incident = row.GetString("IncidentId") is { } id ? await GetAsync(id, cancellationToken).ConfigureAwait(false) : null;
            if (incident is null)
            {
                break;
            }

            // The index may lag one incident behind (a crash after the add): the next sequence, if it exists, is newer.
            var next = await GetAsync(IncidentIds.For(sandboxId, incident.Sequence + 1), cancellationToken).ConfigureAwait(false);
            if (next is not null && next.SandboxId == sandboxId)
            {
                await IndexAsync(next, cancellationToken).ConfigureAwait(false);
                return next;
            }

            return incident;
        }

        // No index row: the first incident may still be there without one.
        var first = await GetAsync(IncidentIds.For(sandboxId, 1), cancellationToken).ConfigureAwait(false);
        if (first is not null && first.SandboxId == sandboxId)
        {
            await IndexAsync(first, cancellationToken).ConfigureAwait(false);
            return first;
        }

        return null;
    }

    /// <inheritdoc />
    public async Task<bool> TryAddAsync(Incident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        var entity = ToEntity(incident);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.AddEntityAsync(entity, cancellationToken).ConfigureAwait(false);
            incident.ETag = response.Headers.ETag?.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 409)
        {
            // Lost the race (or a crash left it unindexed): make sure the winner is found by GetLatest.
            if (await GetAsync(incident.IncidentId, cancellationToken).ConfigureAwait(false) is { } winner)
            {
                await IndexAsync(winner, cancellationToken).ConfigureAwait(false);
            }

            return false;
        }

        await IndexAsync(incident, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <inheritdoc />
    public async Task<bool> TryUpdateAsync(Incident incident, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(incident);
        if (incident.ETag is null)
        {
            return false;
        }

        var entity = ToEntity(incident);
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _table.UpdateEntityAsync(entity, new ETag(incident.ETag), TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
            incident.ETag = response.Headers.ETag?.ToString();
            return true;
        }
        catch (RequestFailedException e) when (e.Status is 412 or 404)
        {
            return false;
        }
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<Incident>> ListAsync(IncidentQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.Max <= 0)
        {
            return [];
        }

        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var filter = TableClient.CreateQueryFilter($"RowKey eq {IncidentRow}");
        if (query.SandboxId is not null)
        {
            filter += " and " + TableClient.CreateQueryFilter($"SandboxId eq {query.SandboxId}");
        }

        if (query.Status is { } status)
        {
            filter += " and " + TableClient.CreateQueryFilter($"Status eq {StatusText(status)}");
        }

        if (query.Since is { } since)
        {
            filter += " and " + TableClient.CreateQueryFilter($"LastSeen ge {since}");
        }

        var heads = new List<(string Id, DateTimeOffset LastSeen)>();
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, select: ["PartitionKey", "LastSeen"], cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            heads.Add((entity.PartitionKey, entity.GetDateTimeOffset("LastSeen") ?? DateTimeOffset.MinValue));
        }

        var newest = heads.OrderByDescending(h => h.LastSeen).ThenBy(h => h.Id, StringComparer.Ordinal).Take(query.Max).ToList();
        var incidents = new Incident?[newest.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, newest.Count),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelReads, CancellationToken = cancellationToken },
            async (i, ct) => incidents[i] = await GetAsync(newest[i].Id, ct).ConfigureAwait(false)).ConfigureAwait(false);

        // Filtered again: an incident changed between the scan and the read may no longer match.
        return incidents.OfType<Incident>()
            .Where(i => query.SandboxId is null || i.SandboxId == query.SandboxId)
            .Where(i => query.Status is null || i.Status == query.Status)
            .Where(i => query.Since is null || i.LastSeen >= query.Since)
            .OrderByDescending(i => i.LastSeen).ThenBy(i => i.IncidentId, StringComparer.Ordinal)
            .ToList();
    }

    private Task IndexAsync(Incident incident, CancellationToken cancellationToken)
        => _table.UpsertEntityAsync(new TableEntity(SandboxPartition(incident.SandboxId), InvertedSequence(incident.Sequence))
        {
            ["IncidentId"] = incident.IncidentId,
        }, TableUpdateMode.Replace, cancellationToken);

    private static string InvertedSequence(int sequence) => (int.MaxValue - sequence).ToString("D10", CultureInfo.InvariantCulture);

    private static string StatusText(IncidentStatus status) => status.ToString().ToLowerInvariant();

    private static TableEntity ToEntity(Incident incident)
    {
        var entity = new TableEntity(TableKeys.Require(incident.IncidentId, "incident id"), IncidentRow)
        {
            ["SandboxId"] = TableKeys.Truncate(incident.SandboxId, 1024),
            ["Sequence"] = incident.Sequence,
            ["Status"] = StatusText(incident.Status),
            ["Level"] = incident.Level.ToSigma(),
            ["FirstSeen"] = incident.FirstSeen,
            ["LastSeen"] = incident.LastSeen,
        };
        TableJsonColumns.Write(entity, SerializeWithinLimit(incident));
        return entity;
    }

    /// <summary>
    /// The incident's JSON; if it would not fit the entity, evidence summaries on the timeline are shortened (the alerts
    /// keep the full evidence). Everything else is needed to track and notify correctly.
    /// </summary>
    private static string SerializeWithinLimit(Incident incident)
    {
        var json = JsonSerializer.Serialize(incident, AlertJson.Options);
        if (json.Length <= TableJsonColumns.MaxLength)
        {
            return json;
        }

        var copy = JsonSerializer.Deserialize<Incident>(json, AlertJson.Options)!;
        copy.Timeline = copy.Timeline.Select(e => e with { Summary = TableKeys.Truncate(e.Summary, 80) }).ToList();
        json = JsonSerializer.Serialize(copy, AlertJson.Options);
        return json.Length <= TableJsonColumns.MaxLength
            ? json
            : throw new InvalidOperationException($"Incident {incident.IncidentId} is {json.Length} characters of JSON with shortened summaries; the Table entity limit is {TableJsonColumns.MaxLength}.");
    }

    private static Incident FromEntity(TableEntity entity)
    {
        var incident = JsonSerializer.Deserialize<Incident>(TableJsonColumns.Read(entity), AlertJson.Options)
            ?? throw new InvalidOperationException($"Incident row {entity.PartitionKey} holds no incident JSON.");
        incident.ETag = entity.ETag.ToString();
        return incident;
    }
}
