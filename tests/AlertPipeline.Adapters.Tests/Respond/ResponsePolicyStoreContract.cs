using System.Text.Json;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Policy;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IResponsePolicyStore"/> must do; run against the in-memory twin and Table Storage.</summary>
public abstract class ResponsePolicyStoreContract
{
    /// <summary>A fresh, empty store.</summary>
    protected abstract IResponsePolicyStore Store { get; }

    /// <summary>An entry with every field set.</summary>
    protected static ResponsePolicyEntry Full(string id) => new()
    {
        Id = id,
        Level = "critical",
        RuleId = "6f1c2a0e-0000-4000-8000-000000000001",
        Team = "research",
        Environment = "prod",
        Channels = ["email", "teams", "shutdown"],
        Recipients = ["oncall@example.com", "lead@example.com"],
        TemplateId = "d-0123456789abcdef0123456789abcdef",
        Shutdown = "approval",
    };

    /// <summary>Entries compared by value (the record's own equality compares lists by reference), ETag aside.</summary>
    protected static string Shape(ResponsePolicyEntry e) => JsonSerializer.Serialize(e with { ETag = null });

    [Fact]
    public async Task Put_entries_list_back_with_every_field_ordered_by_id()
    {
        var store = Store;
        var minimal = new ResponsePolicyEntry { Id = "a-low", Level = "low", Channels = [] };

        var stored = await store.PutAsync(Full("b-research"), CancellationToken.None);
        await store.PutAsync(minimal, CancellationToken.None);

        Assert.False(string.IsNullOrEmpty(stored.ETag));
        var listed = await store.ListAsync(CancellationToken.None);
        Assert.Equal([Shape(minimal), Shape(Full("b-research"))], listed.Select(Shape));
        Assert.Equal(stored.ETag, listed[1].ETag);
    }

    [Fact]
    public async Task Put_replaces_so_cleared_fields_disappear_and_the_etag_changes()
    {
        var store = Store;
        var first = await store.PutAsync(Full("x"), CancellationToken.None);

        var second = await store.PutAsync(new ResponsePolicyEntry { Id = "x", Level = "high", Channels = ["teams"] }, CancellationToken.None);

        var listed = Assert.Single(await store.ListAsync(CancellationToken.None));
        Assert.Equal(Shape(new ResponsePolicyEntry { Id = "x", Level = "high", Channels = ["teams"] }), Shape(listed));
        Assert.NotEqual(first.ETag, second.ETag);
    }

    [Fact]
    public async Task An_invalid_entry_is_refused_and_nothing_is_written()
    {
        var store = Store;

        var error = await Assert.ThrowsAsync<ArgumentException>(() => store.PutAsync(Full("x") with { Shutdown = "sometimes", Recipients = ["not an address"] }, CancellationToken.None));

        Assert.Contains("shutdown 'sometimes'", error.Message, StringComparison.Ordinal);
        Assert.Contains("not a plain email address", error.Message, StringComparison.Ordinal);
        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Delete_removes_once()
    {
        var store = Store;
        await store.PutAsync(Full("x"), CancellationToken.None);

        Assert.True(await store.DeleteAsync("x", CancellationToken.None));
        Assert.False(await store.DeleteAsync("x", CancellationToken.None));
        Assert.False(await store.DeleteAsync("no/such", CancellationToken.None));
        Assert.Empty(await store.ListAsync(CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryResponsePolicyStore"/>.</summary>
public sealed class InMemoryResponsePolicyStoreTests : ResponsePolicyStoreContract
{
    protected override IResponsePolicyStore Store { get; } = new InMemoryResponsePolicyStore();
}

/// <summary>The contract against <see cref="TableResponsePolicyStore"/> on Azurite, plus a row broken by hand in the table.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableResponsePolicyStoreTests(AzuriteFixture azurite) : ResponsePolicyStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("policy");

    protected override IResponsePolicyStore Store => new TableResponsePolicyStore(azurite.TableService, _tableName);

    [Fact]
    public async Task A_row_broken_by_hand_is_read_reported_and_its_previous_version_stays_in_force()
    {
        var store = Store;
        await store.PutAsync(Full("research"), CancellationToken.None);
        using var provider = new ResponsePolicyProvider(store, ResponsePolicy.Default, TimeSpan.FromMinutes(1));
        await provider.GetAsync(CancellationToken.None);

        // An operator edits the row in a table explorer: a typo in the mode, and the level typed as a number.
        var table = azurite.TableService.GetTableClient(_tableName);
        var row = (await table.GetEntityAsync<TableEntity>(TableResponsePolicyStore.Partition, "research")).Value;
        row["Shutdown"] = "aproval";
        row["Level"] = 4;
        await table.UpdateEntityAsync(row, row.ETag, TableUpdateMode.Replace);

        var policy = await provider.ReloadAsync(CancellationToken.None);

        var status = Assert.Single(provider.Statuses);
        Assert.Equal(ResponsePolicyEntryState.BrokenRunningPrevious, status.State);
        Assert.Contains(status.Problems, p => p.Contains("shutdown 'aproval'", StringComparison.Ordinal));
        Assert.Contains(status.Problems, p => p.Contains("level '4'", StringComparison.Ordinal));
        var decision = policy.Resolve(AlertLevel.Critical, Full("research").RuleId, "research", "prod");
        Assert.Equal(("research", ShutdownMode.Approval), (decision.EntryId, decision.Shutdown));
    }
}
