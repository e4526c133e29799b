using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AlertPipeline.Infra.Tests.Bicep;

namespace AlertPipeline.Infra.Tests;

/// <summary>The security properties of the compiled template, and no secret in any infra file.</summary>
[Collection(CompiledTemplatesCollection.Name)]
public sealed partial class SecurityTests(CompiledTemplates templates)
{
    private static JsonObject Properties(JsonObject resource) => resource["properties"]!.AsObject();

    [Fact]
    public void EventHubs_IsStandard_WithSasDisabled_AndTls12()
    {
        var ns = templates.Resource("eventhubs", "Microsoft.EventHub/namespaces");
        Assert.Equal("Standard", (string?)ns["sku"]!["name"]);
        Assert.True((bool)Properties(ns)["disableLocalAuth"]!);
        Assert.Equal("1.2", (string?)Properties(ns)["minimumTlsVersion"]);
        Assert.Equal("[parameters('partitionCount')]", (string?)CompiledTemplates.Resources(templates.Module("eventhubs"), "Microsoft.EventHub/namespaces/eventhubs").Single()["properties"]!["partitionCount"]);
        Assert.Equal("[parameters('throughputUnits')]", (string?)ns["sku"]!["capacity"]);
        Assert.Equal("[parameters('autoInflate')]", (string?)Properties(ns)["isAutoInflateEnabled"]);
    }

    [Fact]
    public void Storage_HasNoSharedKey_Tls12_NoPublicBlobs_HttpsOnly()
    {
        var account = Properties(templates.Resource("storage", "Microsoft.Storage/storageAccounts"));
        Assert.False((bool)account["allowSharedKeyAccess"]!);
        Assert.False((bool)account["allowBlobPublicAccess"]!);
        Assert.Equal("TLS1_2", (string?)account["minimumTlsVersion"]);
        Assert.True((bool)account["supportsHttpsTrafficOnly"]!);
        foreach (var container in CompiledTemplates.Resources(templates.Module("storage"), "Microsoft.Storage/storageAccounts/blobServices/containers"))
        {
            Assert.Equal("None", (string?)container["properties"]!["publicAccess"]);
        }
    }

    [Fact]
    public void KeyVault_UsesRbac_WithPurgeProtection()
    {
        var vault = Properties(templates.Resource("keyvault", "Microsoft.KeyVault/vaults"));
        Assert.True((bool)vault["enableRbacAuthorization"]!);
        Assert.True((bool)vault["enablePurgeProtection"]!);
        Assert.False(vault.ContainsKey("accessPolicies"));
        Assert.DoesNotContain(templates.Module("keyvault")["resources"]!.AsArray(), r => ((string)r!["type"]!).Contains("secrets", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void ApplicationInsights_AcceptsOnlyEntraId_AndUsesLogAnalytics()
    {
        var appInsights = Properties(templates.Resource("monitoring", "Microsoft.Insights/components"));
        Assert.True((bool)appInsights["DisableLocalAuth"]!);
        Assert.StartsWith("[resourceId('Microsoft.OperationalInsights/workspaces'", (string?)appInsights["WorkspaceResourceId"], StringComparison.Ordinal);
        Assert.Equal("Authorization=AAD", templates.AppSettings()["APPLICATIONINSIGHTS_AUTHENTICATION_STRING"]);
    }

    [Fact]
    public void FunctionApp_IsFlexConsumption_DotnetIsolated_WithSystemIdentity_AndNoBasicAuth()
    {
        var plan = templates.Resource("functionapp", "Microsoft.Web/serverfarms");
        Assert.Equal("FlexConsumption", (string?)plan["sku"]!["tier"]);
        var site = templates.Resource("functionapp", "Microsoft.Web/sites");
        Assert.Equal("SystemAssigned", (string?)site["identity"]!["type"]);
        var properties = Properties(site);
        Assert.True((bool)properties["httpsOnly"]!);
        Assert.Equal("1.2", (string?)properties["siteConfig"]!["minTlsVersion"]);
        var config = properties["functionAppConfig"]!;
        Assert.Equal("dotnet-isolated", (string?)config["runtime"]!["name"]);
        Assert.Equal("SystemAssignedIdentity", (string?)config["deployment"]!["storage"]!["authentication"]!["type"]);
        var policies = CompiledTemplates.Resources(templates.Module("functionapp"), "Microsoft.Web/sites/basicPublishingCredentialsPolicies").ToList();
        Assert.Equal(2, policies.Count);
        Assert.All(policies, p => Assert.False((bool)p["properties"]!["allow"]!));
    }

    [Fact]
    public void FunctionApp_RuntimeVersion_IsTheVersionTheCodeTargets()
    {
        // net10.0 -> ".NETCoreApp,Version=v10.0" -> "10.0", the version string Flex Consumption takes for dotnet-isolated.
        var framework = typeof(AlertPipeline.Functions.FunctionsComposition).Assembly
            .GetCustomAttributes(typeof(System.Runtime.Versioning.TargetFrameworkAttribute), false)
            .Cast<System.Runtime.Versioning.TargetFrameworkAttribute>().Single().FrameworkName;
        var version = framework[(framework.IndexOf("Version=v", StringComparison.Ordinal) + "Version=v".Length)..];
        Assert.Equal(version, (string?)templates.Main["parameters"]!["dotnetVersion"]!["defaultValue"]);
    }

    [Fact]
    public void FunctionApp_ConnectsByIdentity_NotByConnectionString()
    {
        var settings = templates.AppSettings();
        Assert.Equal("managedidentity", settings["AzureWebJobsStorage__credential"]);
        Assert.DoesNotContain("AzureWebJobsStorage", settings.Keys);
        Assert.DoesNotContain("EventHubConnection", settings.Keys);
        Assert.DoesNotContain("AlertStorage", settings.Keys);
        Assert.Contains("EventHubConnection__fullyQualifiedNamespace", settings.Keys);
        Assert.Contains("AlertStorage__tableServiceUri", settings.Keys);
        Assert.Contains("AlertStorage__queueServiceUri", settings.Keys);
    }

    [Fact]
    public void RoleAssignments_AreLeastPrivilege()
    {
        var assignments = CompiledTemplates.Resources(templates.Module("roles"), "Microsoft.Authorization/roleAssignments")
            .ToDictionary(r => (string)r["properties"]!["roleDefinitionId"]!, r => (string)r["scope"]!);
        var roles = templates.Module("roles")["variables"]!["roles"]!.AsObject()
            .ToDictionary(p => p.Key, p => (string)p.Value!);
        string Scope(string role) => assignments.Single(a => a.Key.Contains($"variables('roles').{role})", StringComparison.Ordinal)).Value;

        Assert.Equal(6, assignments.Count);
        Assert.Contains("Microsoft.EventHub/namespaces/eventhubs", Scope("eventHubsDataReceiver"), StringComparison.Ordinal);
        Assert.Contains("blobServices/containers", Scope("storageBlobDataOwner"), StringComparison.Ordinal);
        Assert.Contains("Microsoft.KeyVault/vaults", Scope("keyVaultSecretsUser"), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Storage/storageAccounts", Scope("storageTableDataContributor"), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Storage/storageAccounts", Scope("storageQueueDataContributor"), StringComparison.Ordinal);
        Assert.Contains("Microsoft.Insights/components", Scope("monitoringMetricsPublisher"), StringComparison.Ordinal);
        // Blob Data Owner is given per container (deployment package and the host's own), never on the account.
        var containers = templates.ModuleParameters("roles")["blobContainerNames"];
        Assert.Contains("deploymentContainerName", containers, StringComparison.Ordinal);
        // Only the built-in data-plane roles above: no Owner, Contributor or Key Vault Administrator.
        Assert.Equal(6, roles.Count);
        Assert.DoesNotContain("8e3af657-a8ff-443c-a75c-2fe8c4bcb635", roles.Values); // Owner
        Assert.DoesNotContain("b24988ac-6180-42a0-ab88-20f7382dd24c", roles.Values); // Contributor
        Assert.DoesNotContain("00482a5a-887f-4fb3-b363-3b7fe8e74483", roles.Values); // Key Vault Administrator
        Assert.DoesNotContain("f526a384-b230-433a-b45c-95f59c4a2dec", roles.Values); // Event Hubs Data Owner
        Assert.Equal("a638d3c7-ab3a-418d-83e6-5f17a39d4fde", roles["eventHubsDataReceiver"]);
        Assert.Equal("4633458b-17de-408a-b874-0445c86b69e6", roles["keyVaultSecretsUser"]);
    }

    [Fact]
    public void SecretSettings_AreKeyVaultReferences()
    {
        Assert.Empty(AppSettingCrossCheck.SecretsNotFromKeyVault(AlertPipeline.Adapters.AppSettings.All, templates.AppSettings()));
    }

    public static TheoryData<string> InfraFiles()
    {
        var data = new TheoryData<string>();
        foreach (var path in Directory.GetFiles(BicepCli.InfraDirectory, "*", SearchOption.AllDirectories)
                     .Where(p => p.EndsWith(".bicep", StringComparison.Ordinal) || p.EndsWith(".bicepparam", StringComparison.Ordinal)
                         || p.EndsWith(".json", StringComparison.Ordinal))
                     .Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(BicepCli.InfraDirectory, path));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(InfraFiles))]
    public void InfraFile_HoldsNoSecret(string file)
    {
        Assert.Empty(SecretScan.Find(File.ReadAllText(Path.Combine(BicepCli.InfraDirectory, file))));
    }

    [Fact]
    public void CompiledTemplateAndParameters_HoldNoSecret()
    {
        Assert.Empty(SecretScan.Find(templates.Main.ToJsonString()));
        foreach (var (file, parameters) in templates.Parameters)
        {
            Assert.True(SecretScan.Find(parameters.ToJsonString()).Count == 0, file);
        }
    }

    [Theory]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123==;EndpointSuffix=core.windows.net")]
    [InlineData("Endpoint=sb://x.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=abc=")]
    [InlineData("value: listKeys(account.id, '2023-05-01').keys[0].value")]
    [InlineData("param sendGridKey = 'SG.aaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb'")]
    [InlineData("https://prod-01.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=abcdef")]
    [InlineData("param key = 'q83vEjRWeJCrze8SNXRqP3j9pH7Iq0tXz4E2hVJm3yA='")]
    [InlineData("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x")]
    public void SecretScan_FindsSecretLiterals(string text)
    {
        Assert.NotEmpty(SecretScan.Find(text));
    }
}

/// <summary>Finds what looks like a credential: connection strings, keys, signed URLs, listKeys calls, long base64.</summary>
internal static partial class SecretScan
{
    public static IReadOnlyList<string> Find(string text) => [.. Pattern().Matches(text).Select(m => m.Value)];

    [GeneratedRegex(
        @"AccountKey=|SharedAccessKey=|SharedAccessSignature|DefaultEndpointsProtocol=|InstrumentationKey=|listKeys\(|listkeys\(|" +
        @"[?&]sig=|\bSG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}|" +
        // A long base64 run with digits and both cases (a key), not a resource type path.
        @"(?<![A-Za-z0-9+/])(?=[A-Za-z+/]*[0-9])(?=[a-z0-9+/]*[A-Z])(?=[A-Z0-9+/]*[a-z])[A-Za-z0-9+/]{40,}={0,2}(?![A-Za-z0-9+/])",
        RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();
}
