using AlertPipeline.Adapters.Storage;
using AlertPipeline.Cli.Commands;

namespace AlertPipeline.Cli.Tests.Commands;

/// <summary><c>--storage</c> of the rules commands: a connection string, or the deployed account's Table URL (identity-based).</summary>
public sealed class RulesStorageOptionTests
{
    [Fact]
    public void HttpsUrl_IsTheIdentityBasedTableServiceUri()
    {
        var configuration = RulesCommand.StorageConfiguration("https://stalertpipeprod.table.core.windows.net/");
        Assert.Null(configuration[StorageNames.Setting]);
        Assert.Equal("https://stalertpipeprod.table.core.windows.net/", configuration[$"{StorageNames.Setting}:{StorageClients.TableServiceUriKey}"]);
        Assert.True(StorageClients.IsTableStorageConfigured(configuration));
    }

    [Theory]
    [InlineData("UseDevelopmentStorage=true")]
    [InlineData("DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;")]
    [InlineData("http://127.0.0.1:10002/devstoreaccount1")]
    public void AnythingElse_IsAConnectionString(string storage)
    {
        var configuration = RulesCommand.StorageConfiguration(storage);
        Assert.Equal(storage, configuration[StorageNames.Setting]);
        Assert.Null(configuration[$"{StorageNames.Setting}:{StorageClients.TableServiceUriKey}"]);
    }
}
