using AlertPipeline.Adapters.Detect;
using AlertPipeline.Adapters.Tests.Storage;
using AlertPipeline.Core.Detect.Heartbeat;

namespace AlertPipeline.Adapters.Tests.Detect;

/// <summary>What every <see cref="ISandboxActivityStore"/> must do; run against the in-memory twin and against Table Storage.</summary>
public abstract class SandboxActivityStoreContract
{
    private static readonly DateTimeOffset T0 = new(2026, 2, 1, 12, 0, 0, TimeSpan.Zero);

    /// <summary>A fresh, empty store.</summary>
    protected abstract ISandboxActivityStore Store { get; }

    [Fact]
    public async Task Updates_merge_per_sandbox()
    {
        await Store.RecordAsync([new("sbx-1", T0, null, 0, null), new("sbx-2", null, T0, 2, T0)], CancellationToken.None);
        await Store.RecordAsync([new("sbx-1", null, T0.AddMinutes(2), 3, T0.AddMinutes(1))], CancellationToken.None);

        Assert.Equal(
            [new SandboxActivity("sbx-1", T0, T0.AddMinutes(2), 3, T0.AddMinutes(1)), new SandboxActivity("sbx-2", null, T0, 2, T0)],
            await Store.ListAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Sandbox_ids_with_characters_keys_forbid_are_kept_apart()
    {
        await Store.RecordAsync([new("a/b#c", T0, null, 0, null), new("a_b_c", T0.AddMinutes(1), null, 0, null)], CancellationToken.None);

        Assert.Equal(["a/b#c", "a_b_c"], (await Store.ListAsync(CancellationToken.None)).Select(a => a.SandboxId));
    }

    [Fact]
    public async Task Concurrent_updates_of_one_sandbox_are_all_counted()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Store.RecordAsync([new("sbx-1", null, T0.AddSeconds(i), 1, T0.AddSeconds(i))], CancellationToken.None)));

        var activity = Assert.Single(await Store.ListAsync(CancellationToken.None));
        Assert.Equal(8, activity.NetworkSinceTelemetry);
        Assert.Equal(T0, activity.NetworkSince);
        Assert.Equal(T0.AddSeconds(7), activity.LastNetwork);
    }
}

/// <summary>The contract against <see cref="InMemorySandboxActivityStore"/>.</summary>
public sealed class InMemorySandboxActivityStoreTests : SandboxActivityStoreContract
{
    protected override ISandboxActivityStore Store { get; } = new InMemorySandboxActivityStore();
}

/// <summary>The contract against <see cref="TableSandboxActivityStore"/> on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class TableSandboxActivityStoreTests(AzuriteFixture azurite) : SandboxActivityStoreContract
{
    private TableSandboxActivityStore? _store;

    protected override ISandboxActivityStore Store => _store ??= new TableSandboxActivityStore(azurite.TableService, AzuriteFixture.UniqueTableName("heartbeats"));
}
