-- AlterTable
ALTER TABLE "ShopSettings" ADD COLUMN     "dataRetentionDays" INTEGER,
ADD COLUMN     "kpiTargets" JSONB,
ADD COLUMN     "reportMinute" INTEGER NOT NULL DEFAULT 480,
ADD COLUMN     "reportRecipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
ADD COLUMN     "reportWeekday" INTEGER NOT NULL DEFAULT 1;

-- CreateTable
CREATE TABLE "WeeklyReport" (
    "shop" TEXT NOT NULL,
    "week" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "figures" JSONB NOT NULL,
    "html" TEXT NOT NULL,
    "csv" TEXT NOT NULL,
    "generatedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "sentAt" TIMESTAMP(3),
    "messageId" TEXT,
    "recipients" TEXT[] DEFAULT ARRAY[]::TEXT[],
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,

    CONSTRAINT "WeeklyReport_pkey" PRIMARY KEY ("shop","week")
);

-- CreateTable
CREATE TABLE "WeeklyReportAsset" (
    "shop" TEXT NOT NULL,
    "week" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "contentType" TEXT NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "WeeklyReportAsset_pkey" PRIMARY KEY ("shop","week","name")
);

-- CreateTable
CREATE TABLE "AuditEvent" (
    "shop" TEXT NOT NULL,
    "id" TEXT NOT NULL,
    "at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "actor" TEXT NOT NULL,
    "action" TEXT NOT NULL,
    "target" TEXT,
    "details" JSONB NOT NULL DEFAULT '{}',

    CONSTRAINT "AuditEvent_pkey" PRIMARY KEY ("shop","id")
);

-- CreateIndex
CREATE INDEX "AuditEvent_shop_at_idx" ON "AuditEvent"("shop", "at");

-- AddForeignKey
ALTER TABLE "WeeklyReportAsset" ADD CONSTRAINT "WeeklyReportAsset_shop_week_fkey" FOREIGN KEY ("shop", "week") REFERENCES "WeeklyReport"("shop", "week") ON DELETE CASCADE ON UPDATE CASCADE;
