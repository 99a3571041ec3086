terraform {
  required_version = ">= 1.6"
  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.70 and later know every argument used here (security group rules as their own
      # resources, OIDC providers without thumbprints); 6.x keeps them.
      version = ">= 5.70, < 7.0"
    }
  }
}

provider "aws" {
  region = var.region
}
