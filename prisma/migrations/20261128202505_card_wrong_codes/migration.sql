-- AlterTable
ALTER TABLE "MemberCard" ADD COLUMN     "wrongCodes" INTEGER NOT NULL DEFAULT 0,
ADD COLUMN     "wrongCodesSince" TIMESTAMP(3);
