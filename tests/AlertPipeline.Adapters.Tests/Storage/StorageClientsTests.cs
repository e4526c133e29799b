using AlertPipeline.Adapters.Storage;
using Microsoft.Extensions.Configuration;

namespace AlertPipeline.Adapters.Tests.Storage;

/// <summary>How <see cref="StorageClients"/> reads the <c>AlertStorage</c> setting in its two shapes.</summary>
public sealed class StorageClientsTests
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) => new ConfigurationBuilder()
        .AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value)))
        .Build();

    [Fact]
    public void A_connection_string_configures_both_services()
    {
        var config = Config(("AlertStorage", "DefaultEndpointsProtocol=https;AccountName=acct1;AccountKey=a2V5;EndpointSuffix=core.windows.net"));

        Assert.True(StorageClients.IsTableStorageConfigured(config));
        Assert.True(StorageClients.IsQueueStorageConfigured(config));
        Assert.Equal("acct1", StorageClients.CreateTableServiceClient(config).AccountName);
        Assert.Equal("acct1", StorageClients.CreateQueueServiceClient(config).AccountName);
    }

    [Fact]
    public void Service_uris_configure_identity_based_clients()
    {
        // Environment-variable form AlertStorage__tableServiceUri arrives as AlertStorage:tableServiceUri.
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AlertStorage:tableServiceUri"] = "https://acct2.table.core.windows.net",
            ["AlertStorage:queueServiceUri"] = "https://acct2.queue.core.windows.net",
        }).Build();

        Assert.True(StorageClients.IsTableStorageConfigured(config));
        Assert.Equal(new Uri("https://acct2.table.core.windows.net"), StorageClients.CreateTableServiceClient(config).Uri);
        Assert.Equal(new Uri("https://acct2.queue.core.windows.net"), StorageClients.CreateQueueServiceClient(config).Uri);
    }

    [Fact]
    public void Nothing_configured_is_reported_and_creating_a_client_says_what_to_set()
    {
        var config = Config();

        Assert.False(StorageClients.IsTableStorageConfigured(config));
        Assert.False(StorageClients.IsQueueStorageConfigured(config));
        var error = Assert.Throws<InvalidOperationException>(() => StorageClients.CreateTableServiceClient(config));
        Assert.Contains("AlertStorage__tableServiceUri", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_uri_alone_does_not_configure_queues()
    {
        var config = Config(("AlertStorage:tableServiceUri", "https://acct3.table.core.windows.net"));

        Assert.True(StorageClients.IsTableStorageConfigured(config));
        Assert.False(StorageClients.IsQueueStorageConfigured(config));
        Assert.Throws<InvalidOperationException>(() => StorageClients.CreateQueueServiceClient(config));
    }

    [Fact]
    public void The_names_infra_relies_on_do_not_change()
    {
        Assert.Equal(
            ["rules", "alerts", "deadletters", "sandboxes", "sandbox-commands"],
            [StorageNames.RulesTable, StorageNames.AlertsTable, StorageNames.DeadLettersTable, StorageNames.SandboxesTable, StorageNames.ShutdownCommandQueue]);
    }
}
