variable "region" {
  description = "AWS region, as in the course (us-east-1)."
  type        = string
  default     = "us-east-1"
}

variable "name" {
  description = "Prefix of every resource's name."
  type        = string
  default     = "fibstack"
}

variable "vpc_id" {
  description = "The VPC to use; empty means the region's default VPC, as in the course."
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "Subnets of that VPC for the instances, RDS and ElastiCache; empty means all of its subnets."
  type        = list(string)
  default     = []
}

variable "db_username" {
  description = "Postgres master user."
  type        = string
  default     = "fibstack"
}

variable "db_password" {
  description = "Postgres master password: pass it with TF_VAR_db_password, never in a file."
  type        = string
  sensitive   = true
}

variable "redis_auth_token" {
  description = "ElastiCache AUTH token (16 to 128 printable characters, no @, \" or /): pass it with TF_VAR_redis_auth_token, never in a file."
  type        = string
  sensitive   = true
  validation {
    condition     = length(var.redis_auth_token) >= 16 && length(var.redis_auth_token) <= 128 && !can(regex("[@\"/ ]", var.redis_auth_token))
    error_message = "The AUTH token must be 16 to 128 characters, without @, \", / or spaces."
  }
}

variable "github_repository" {
  description = "owner/name of the repository whose main branch may deploy (OIDC)."
  type        = string
}

variable "github_oidc_provider_arn" {
  description = "ARN of the account's GitHub OIDC provider if it has one already (an account holds one per URL); empty creates it."
  type        = string
  default     = ""
}

variable "solution_stack_regex" {
  description = "Elastic Beanstalk platform: Docker on Amazon Linux 2023 (Amazon Linux 2 reached end of support)."
  type        = string
  default     = "^64bit Amazon Linux 2023 (.*) running Docker$"
}
