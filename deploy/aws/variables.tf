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

variable "github_repository" {
  description = "owner/name of the repository whose main branch may deploy (OIDC)."
  type        = string
}

variable "solution_stack_regex" {
  description = "Elastic Beanstalk platform: Docker on Amazon Linux 2023 (Amazon Linux 2 reached end of support)."
  type        = string
  default     = "^64bit Amazon Linux 2023 (.*) running Docker$"
}
