// Key Vault in RBAC mode for the channel secrets and the command-signing key. The template creates no secret:
// values are set out of band (README "Deploy to Azure", docs/operations.md key rotation) and the app settings
// reference them by name.

@description('Azure region.')
param location string

@description('Vault name (3-24 characters, globally unique).')
@minLength(3)
@maxLength(24)
param vaultName string

@description('Public network access: Disabled when private endpoints are used.')
@allowed([
  'Enabled'
  'Disabled'
])
param publicNetworkAccess string

param tags object

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: vaultName
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    publicNetworkAccess: publicNetworkAccess
    networkAcls: {
      defaultAction: publicNetworkAccess == 'Disabled' ? 'Deny' : 'Allow'
      bypass: 'AzureServices'
    }
  }
}

output vaultName string = vault.name
output vaultId string = vault.id
output vaultUri string = vault.properties.vaultUri
