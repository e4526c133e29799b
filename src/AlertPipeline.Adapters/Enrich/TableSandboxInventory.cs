using System.Text.Json;
using AlertPipeline.Adapters.Storage;
using AlertPipeline.Core.Enrich;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Enrich;

/// <summary>
/// The sandbox inventory on Azure Table Storage: table <c>sandboxes</c>, PartitionKey = <c>sandbox</c> (the inventory is
/// read whole on every refresh, so one partition makes that a single range scan), RowKey = sandbox id. Columns Owner,
/// OwnerEmail, Team, Environment, Protected, CommandQueue, Addresses, a JSON array of <c>{ip, validFrom, validTo}</c>, and
/// AllowedEgress, a JSON array of CIDRs and domains; the scheduled GPU work in Gpus and GpuProcesses (JSON arrays of
/// strings) and Schedule (a JSON array of <c>{state, validFrom, validTo}</c>, state <c>active</c> or <c>idle</c>).
/// The table is created on first use.
/// </summary>
public sealed class TableSandboxInventory : ISandboxInventory
{
    /// <summary>The one partition of the inventory.</summary>
    public const string Partition = "sandbox";

    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly TableClient _table;
    private readonly CreateOnce _created;

    /// <summary>Uses table <paramref name="tableName"/> (default <see cref="StorageNames.SandboxesTable"/>) of <paramref name="service"/>.</summary>
    public TableSandboxInventory(TableServiceClient service, string tableName = StorageNames.SandboxesTable)
    {
        ArgumentNullException.ThrowIfNull(service);
        _table = service.GetTableClient(tableName);
        _created = new CreateOnce(ct => _table.CreateIfNotExistsAsync(ct));
    }

    /// <inheritdoc />
    public async Task<IReadOnlyList<SandboxRecord>> ListAsync(CancellationToken cancellationToken)
    {
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);
        var sandboxes = new List<SandboxRecord>();
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var entity in _table.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            sandboxes.Add(ToRecord(entity));
        }

        return sandboxes;
    }

    /// <summary>Creates or replaces the row of <paramref name="sandbox"/> (used by the CLI to load the inventory).</summary>
    /// <exception cref="ArgumentException">The id cannot be a Table key, or the address history or run schedule exceeds one Table property.</exception>
    public async Task UpsertAsync(SandboxRecord sandbox, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sandbox);
        var addresses = JsonSerializer.Serialize(sandbox.Addresses.Select(a => new AddressRow(a.Ip, a.ValidFrom, a.ValidTo)), JsonOptions);
        if (addresses.Length > TableKeys.MaxStringLength)
        {
            throw new ArgumentException(
                $"Sandbox {sandbox.Id}: {sandbox.Addresses.Count} addresses are {addresses.Length} characters of JSON, over the Table property limit of {TableKeys.MaxStringLength}; drop expired leases.",
                nameof(sandbox));
        }

        var entity = new TableEntity(Partition, TableKeys.Require(sandbox.Id, "sandbox id"))
        {
            ["Owner"] = sandbox.Owner,
            ["OwnerEmail"] = sandbox.OwnerEmail,
            ["Team"] = sandbox.Team,
            ["Environment"] = sandbox.Environment,
            ["Protected"] = sandbox.Protected,
            ["CommandQueue"] = sandbox.CommandQueue,
            ["Addresses"] = addresses,
            ["AllowedEgress"] = sandbox.AllowedEgress.Count == 0 ? null : JsonSerializer.Serialize(sandbox.AllowedEgress, JsonOptions),
            ["Gpus"] = sandbox.Gpus.Count == 0 ? null : JsonSerializer.Serialize(sandbox.Gpus, JsonOptions),
            ["GpuProcesses"] = sandbox.GpuProcesses.Count == 0 ? null : JsonSerializer.Serialize(sandbox.GpuProcesses, JsonOptions),
            ["Schedule"] = sandbox.Schedule.Count == 0 ? null : Bounded(sandbox.Id, "schedule windows", sandbox.Schedule.Count, JsonSerializer.Serialize(
                sandbox.Schedule.Select(w => new WindowRow(w.State == RunState.Idle ? "idle" : "active", w.ValidFrom, w.ValidTo)), JsonOptions)),
        };
        await _created.EnsureAsync(cancellationToken).ConfigureAwait(false);

        // Replace: a column cleared in the inventory (e.g. no more CommandQueue) must disappear from the row too.
        await _table.UpsertEntityAsync(entity, TableUpdateMode.Replace, cancellationToken).ConfigureAwait(false);
    }

    private static SandboxRecord ToRecord(TableEntity entity)
    {
        var addresses = entity.GetString("Addresses") is { Length: > 0 } json
            ? JsonSerializer.Deserialize<List<AddressRow>>(json, JsonOptions) ?? []
            : [];
        return new SandboxRecord
        {
            Id = entity.RowKey,
            Owner = entity.GetString("Owner"),
            OwnerEmail = entity.GetString("OwnerEmail"),
            Team = entity.GetString("Team"),
            Environment = entity.GetString("Environment"),
            Protected = entity.GetBoolean("Protected") ?? false,
            CommandQueue = entity.GetString("CommandQueue"),
            Addresses = [.. addresses.Select(a => new SandboxAddress(a.Ip, a.ValidFrom, a.ValidTo))],
            AllowedEgress = Strings(entity, "AllowedEgress"),
            Gpus = Strings(entity, "Gpus"),
            GpuProcesses = Strings(entity, "GpuProcesses"),
            Schedule = entity.GetString("Schedule") is { Length: > 0 } schedule
                ? [.. (JsonSerializer.Deserialize<List<WindowRow>>(schedule, JsonOptions) ?? [])
                    .Select(w => new SandboxRunWindow(w.State == "idle" ? RunState.Idle : RunState.Active, w.ValidFrom, w.ValidTo))]
                : [],
        };
    }

    private static List<string> Strings(TableEntity entity, string column)
        => entity.GetString(column) is { Length: > 0 } json ? JsonSerializer.Deserialize<List<string>>(json, JsonOptions) ?? [] : [];

    private static string Bounded(string id, string what, int count, string json) => json.Length <= TableKeys.MaxStringLength
        ? json
        : throw new ArgumentException(
            $"Sandbox {id}: {count} {what} are {json.Length} characters of JSON, over the Table property limit of {TableKeys.MaxStringLength}; drop expired ones.",
            "sandbox");

    // The stored shape, pinned here so renaming SandboxAddress members cannot silently change the table format.
    private sealed record AddressRow(string Ip, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo);

    private sealed record WindowRow(string State, DateTimeOffset ValidFrom, DateTimeOffset? ValidTo);
}
