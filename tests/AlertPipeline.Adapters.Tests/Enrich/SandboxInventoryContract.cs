using System.Text.Json;
using AlertPipeline.Adapters.Enrich;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Enrich;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Enrich;

/// <summary>What every <see cref="ISandboxInventory"/> must return; run against the in-memory twin and against Table Storage.</summary>
public abstract class SandboxInventoryContract
{
    /// <summary>Start of the first lease in the test data.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An inventory holding exactly <paramref name="sandboxes"/>.</summary>
    protected abstract Task<ISandboxInventory> CreateAsync(IReadOnlyList<SandboxRecord> sandboxes);

    /// <summary>A sandbox with every field set and a reused-IP history.</summary>
    protected static SandboxRecord Full(string id) => new()
    {
        Id = id,
        Owner = "Ada Lovelace",
        OwnerEmail = "ada@example.com",
        Team = "evals",
        Environment = "training",
        Protected = true,
        CommandQueue = "host-7-commands",
        Addresses =
        [
            new SandboxAddress("10.0.0.4", T0, T0.AddHours(6)),
            new SandboxAddress("fd00::4", T0.AddHours(6)),
        ],
        AllowedEgress = ["10.0.5.0/24", "huggingface.co"],
        Gpus = ["GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00", "3"],
        GpuProcesses = ["python3", "torchrun"],
        Schedule =
        [
            new SandboxRunWindow(RunState.Active, T0, T0.AddHours(8)),
            new SandboxRunWindow(RunState.Idle, T0.AddHours(8)),
        ],
    };

    /// <summary>Records compared by value, addresses included (the record's own equality compares the list by reference).</summary>
    protected static string Shape(SandboxRecord s) => JsonSerializer.Serialize(s);

    [Fact]
    public async Task Lists_every_sandbox_with_every_field()
    {
        SandboxRecord[] sandboxes = [Full("sbx-1"), new SandboxRecord { Id = "sbx-2" }];

        var inventory = await CreateAsync(sandboxes);
        var listed = await inventory.ListAsync(CancellationToken.None);

        Assert.Equal(sandboxes.Select(Shape).Order(StringComparer.Ordinal), listed.Select(Shape).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task An_empty_inventory_lists_nothing()
    {
        var inventory = await CreateAsync([]);

        Assert.Empty(await inventory.ListAsync(CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemorySandboxInventory"/>.</summary>
public sealed class InMemorySandboxInventoryTests : SandboxInventoryContract
{
    protected override Task<ISandboxInventory> CreateAsync(IReadOnlyList<SandboxRecord> sandboxes)
        => Task.FromResult<ISandboxInventory>(new InMemorySandboxInventory(sandboxes));
}

/// <summary>The contract against <see cref="TableSandboxInventory"/> on Azurite, plus upsert semantics and the stored shape.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableSandboxInventoryTests(AzuriteFixture azurite) : SandboxInventoryContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("sandboxes");

    private TableSandboxInventory NewInventory() => new(azurite.TableService, _tableName);

    protected override async Task<ISandboxInventory> CreateAsync(IReadOnlyList<SandboxRecord> sandboxes)
    {
        var inventory = NewInventory();
        foreach (var sandbox in sandboxes)
        {
            await inventory.UpsertAsync(sandbox, CancellationToken.None);
        }

        return inventory;
    }

    [Fact]
    public async Task Upsert_replaces_the_row_so_cleared_fields_disappear()
    {
        var inventory = NewInventory();
        await inventory.UpsertAsync(Full("sbx-1"), CancellationToken.None);

        await inventory.UpsertAsync(Full("sbx-1") with { CommandQueue = null, Protected = false, Addresses = [], Gpus = [], Schedule = [] }, CancellationToken.None);

        var listed = Assert.Single(await inventory.ListAsync(CancellationToken.None));
        Assert.Null(listed.CommandQueue);
        Assert.False(listed.Protected);
        Assert.Empty(listed.Addresses);
        Assert.Empty(listed.Gpus);
        Assert.Empty(listed.Schedule);
        Assert.Equal(["python3", "torchrun"], listed.GpuProcesses);
    }

    [Fact]
    public async Task Rows_use_the_documented_partition_columns_and_address_json()
    {
        await NewInventory().UpsertAsync(Full("sbx-1"), CancellationToken.None);

        var entity = (await azurite.TableService.GetTableClient(_tableName).GetEntityAsync<TableEntity>("sandbox", "sbx-1")).Value;
        using var addresses = JsonDocument.Parse(entity.GetString("Addresses")!);

        Assert.Equal("ada@example.com", entity.GetString("OwnerEmail"));
        Assert.True(entity.GetBoolean("Protected"));
        Assert.Equal("host-7-commands", entity.GetString("CommandQueue"));
        var first = addresses.RootElement[0];
        Assert.Equal("10.0.0.4", first.GetProperty("ip").GetString());
        Assert.Equal(T0, first.GetProperty("validFrom").GetDateTimeOffset());
        Assert.Equal(T0.AddHours(6), first.GetProperty("validTo").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, addresses.RootElement[1].GetProperty("validTo").ValueKind);

        // The run schedule: lower-case states, the lease-like validFrom/validTo of the addresses.
        using var schedule = JsonDocument.Parse(entity.GetString("Schedule")!);
        Assert.Equal("active", schedule.RootElement[0].GetProperty("state").GetString());
        Assert.Equal(T0.AddHours(8), schedule.RootElement[0].GetProperty("validTo").GetDateTimeOffset());
        Assert.Equal("idle", schedule.RootElement[1].GetProperty("state").GetString());
        Assert.Equal("[\"GPU-5e3a1f4d-7a10-4011-909b-1c2d3e4f5a00\",\"3\"]", entity.GetString("Gpus"));
        Assert.Equal("[\"python3\",\"torchrun\"]", entity.GetString("GpuProcesses"));
    }

    [Fact]
    public async Task Rows_written_by_hand_without_optional_columns_still_load()
    {
        var table = azurite.TableService.GetTableClient(_tableName);
        await table.CreateIfNotExistsAsync();
        await table.AddEntityAsync(new TableEntity("sandbox", "sbx-bare"));

        var listed = Assert.Single(await NewInventory().ListAsync(CancellationToken.None));

        Assert.Equal("sbx-bare", listed.Id);
        Assert.False(listed.Protected);
        Assert.Empty(listed.Addresses);
        Assert.Empty(listed.Gpus);
        Assert.Empty(listed.GpuProcesses);
        Assert.Empty(listed.Schedule);
    }
}
